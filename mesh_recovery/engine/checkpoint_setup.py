"""The one explicit step that prepares checkpoint loading; importing the package changes nothing global.

It allows the narrow set of mmengine globals in ``torch.load(weights_only=True)``
(:mod:`.safe_globals`) and routes mmengine's own local checkpoint reads through
:func:`~mesh_recovery.engine.checkpoint.read_checkpoint` (:mod:`.weights_only_loader`).
``read_checkpoint`` and ``MeshRunner`` call it, so the tools never need to; code
that calls ``torch.load`` on mmengine checkpoints itself calls it first.
"""
_done = False


def setup_checkpoint_loading() -> None:
    """Register the weights-only allow-list and the loader (idempotent, cheap after the first call)."""
    global _done
    if _done:
        return
    from .safe_globals import register_checkpoint_safe_globals
    from .weights_only_loader import register_weights_only_loader
    register_checkpoint_safe_globals()
    register_weights_only_loader()
    _done = True
