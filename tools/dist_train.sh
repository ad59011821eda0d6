#!/usr/bin/env bash
# Usage: ./tools/dist_train.sh CONFIG GPUS [train.py args]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
# Without GPUs the processes train on CPU with the gloo backend.
set -euo pipefail
usage() {
    echo "usage: $0 CONFIG GPUS [train.py options]" >&2
    echo "  GPUS: processes on this node (a positive integer); NNODES, NODE_RANK, MASTER_ADDR, PORT: multi-node" >&2
    exit 2
}
is_positive_int() { [[ "$1" =~ ^[1-9][0-9]*$ ]]; }
if [ $# -lt 2 ]; then usage; fi
if [ ! -f "$1" ]; then echo "error: config not found: $1 (relative to $(pwd))" >&2; usage; fi
if ! is_positive_int "$2"; then echo "error: GPUS must be a positive integer, got '$2'" >&2; usage; fi
for name in NNODES NODE_RANK PORT; do
    value="${!name:-}"
    if [ -n "$value" ] && ! [[ "$value" =~ ^[0-9]+$ ]]; then
        echo "error: $name must be a non-negative integer, got '$value'" >&2; exit 2
    fi
done
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
DIR="$(cd "$(dirname "$0")" && pwd)"
PYTHONPATH="$DIR/..:${PYTHONPATH:-}" \
exec python -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" --master_port="$PORT" \
    "$DIR/train.py" "$CONFIG" --launcher pytorch "${@:3}"
