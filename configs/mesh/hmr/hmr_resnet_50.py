# The seed's name of mmpose's HMR recipe, kept because commands in docs/, tests and users' scripts
# name it: the same merged config as hmr_resnet50_8xb32-100e_mix6-224x224.py.
_base_ = ['./hmr_resnet50_8xb32-100e_mix6-224x224.py']
