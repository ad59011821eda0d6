# mmpose 0.x's HMR training data: six SPIN-format sets mixed in fixed shares (Human3.6M 0.35,
# MPI-INF-3DHP 0.15, LSP, LSPET and MPII 0.10 each, COCO 0.20), each sample paired with a CMU MoSh
# pose / shape for the discriminator. Files and how to get them: docs/data_preparation.md.
# The six sets have no pipeline here (it depends on the model's input size); a model config gives
# each its own, as configs/mesh/hmr/hmr_resnet50_8xb32-100e_mix6-224x224.py does:
#   train_dataloader = dict(dataset=dict(train_dataset=dict(configs=[
#       dict(part, pipeline=train_pipeline) for part in _base_.train_dataloader.dataset.train_dataset.configs])))
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='EpochAwareSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='MeshAdversarialDataset',
        train_dataset=dict(
            type='MeshMixDataset',
            configs=[
                dict(type='MeshBaseDataset', ann_file='data/mesh_annotation_files/h36m_train.npz',
                     data_prefix=dict(img='data/h36m_train/')),
                dict(type='MeshBaseDataset', ann_file='data/mesh_annotation_files/mpi_inf_3dhp_train.npz',
                     data_prefix=dict(img='data/mpi_inf_3dhp/')),
                dict(type='MeshBaseDataset', ann_file='data/mesh_annotation_files/lsp_dataset_original_train.npz',
                     data_prefix=dict(img='data/lsp_dataset_original/')),
                dict(type='MeshBaseDataset', ann_file='data/mesh_annotation_files/hr-lspet_train.npz',
                     data_prefix=dict(img='data/hr-lspet/')),
                dict(type='MeshBaseDataset', ann_file='data/mesh_annotation_files/mpii_train.npz',
                     data_prefix=dict(img='data/mpii/')),
                dict(type='MeshBaseDataset', ann_file='data/mesh_annotation_files/coco_2014_train.npz',
                     data_prefix=dict(img='data/coco/')),
            ],
            partition=[0.35, 0.15, 0.10, 0.10, 0.10, 0.20]),
        adversarial_dataset=dict(type='MoshDataset', ann_file='data/mesh_annotation_files/CMU_mosh.npz')))
