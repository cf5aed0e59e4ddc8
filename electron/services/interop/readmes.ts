// The README each export carries: what the folder is, and the commands for 1 GPU, 8 GPUs, 2 machines.
import { plainValue, type FlatConfig } from './detectron2_config.ts';
import type { RunManifest } from './manifest.ts';

function header(m: RunManifest, engine: string): string[] {
  const s = m.splits;
  return [
    `# Fieldwork run ${m.runId ?? '(new snapshot)'} for ${engine}`,
    '',
    `Exported ${m.exportedAt}. Snapshot ${m.snapshotHash.slice(0, 12)}: train ${s.train.images} images / ${s.train.annotations} instances,`,
    `val ${s.val.images} / ${s.val.annotations}, test ${s.test.images} / ${s.test.annotations}; ${m.categories.length} classes`,
    `(${m.categories.map((c) => c.name).join(', ')}). From random initialisation: no pre-trained weights anywhere.`,
    '',
    '- `datasets/{train,val,test}.json`: COCO instances per split (file names relative to `datasets/`).',
    `- \`images/\`: ${m.images === 'absolute' ? 'none — the JSON names the project\'s own files by absolute path' : m.images === 'link' ? 'links to the project\'s images' : 'copies of the images'}.`,
    '- `fieldwork-run.json`, `snapshot.json`: what Fieldwork needs to bring the results back (`fieldwork import-run`).',
    '',
  ];
}

export function detectron2Readme(m: RunManifest, flat: FlatConfig): string {
  const get = (k: string) => JSON.stringify(plainValue(flat.find(([key]) => key === k)![1]));
  return [
    ...header(m, `Detectron2 (${m.detectron2!.preset}, ${m.detectron2!.norm})`),
    '`config.yaml` is complete (no `_BASE_`): Detectron2\'s scratch GN recipe',
    `(configs/Misc/scratch_mask_rcnn_R_50_FPN_{3x,9x}_gn.yaml) scaled to this dataset — MAX_ITER ${get('SOLVER.MAX_ITER')},`,
    `STEPS ${get('SOLVER.STEPS')}, IMS_PER_BATCH ${get('SOLVER.IMS_PER_BATCH')}, BASE_LR ${get('SOLVER.BASE_LR')}, EVAL_PERIOD ${get('TEST.EVAL_PERIOD')}.`,
    'IMS_PER_BATCH counts all GPUs together; with fewer GPUs or less memory change it and BASE_LR in proportion',
    '(e.g. `SOLVER.IMS_PER_BATCH 8 SOLVER.BASE_LR 0.01`), or set `SOLVER.REFERENCE_WORLD_SIZE` to let Detectron2 scale.',
    '',
    '## Run',
    '',
    'Install Detectron2 (https://detectron2.readthedocs.io/en/latest/tutorials/install.html), then in this folder:',
    '',
    '```sh',
    'python train.py --num-gpus 1                      # one GPU',
    'python train.py --num-gpus 8                      # one machine, 8 GPUs',
    '# two machines, 8 GPUs each (HOST = machine 0, reachable from machine 1):',
    'python train.py --num-gpus 8 --num-machines 2 --machine-rank 0 --dist-url tcp://HOST:29500',
    'python train.py --num-gpus 8 --num-machines 2 --machine-rank 1 --dist-url tcp://HOST:29500',
    '```',
    '',
    'Resume with `--resume`. Results: `output/inference/coco_instances_results.json` (val). Bring them back with',
    '`fieldwork import-run <project-dir> <this-folder>`: they become a run with AP from Fieldwork\'s evaluator,',
    'reviewable in the app. Detectron2 weights are not converted (its R50-FPN layout differs from Fieldwork\'s',
    'models); only the results come back.',
    '',
  ].join('\n');
}

export function torchvisionReadme(m: RunManifest): string {
  const c = m.config;
  return [
    ...header(m, 'PyTorch DDP (torchvision)'),
    `\`train.py\` trains Fieldwork's own architecture (preset ${c.preset}: GN ResNet-${c.backbone.depth}, FPN ${c.fpnChannels} channels,`,
    `${c.roi.boxHeadConvs}conv${c.roi.boxHeadFcs}fc box head, ${c.mask.convs}-conv mask head) built by \`fieldwork_model.py\` as a torchvision`,
    'MaskRCNN, with the run\'s solver and schedule (LR scaled linearly with the total batch). Its weights convert',
    'back into a Fieldwork checkpoint, so the app can review and pre-label with them.',
    '',
    '## Run',
    '',
    'Needs PyTorch and torchvision (e.g. Debian `python3-torch python3-torchvision`, or `pip install torch torchvision`).',
    '',
    '```sh',
    'torchrun --nproc_per_node=1 train.py                   # one GPU (or CPU: gloo)',
    'torchrun --nproc_per_node=8 train.py                   # one machine, 8 GPUs (nccl)',
    '# two machines, 8 GPUs each (HOST = machine 0):',
    'torchrun --nnodes=2 --node_rank=0 --master_addr=HOST --master_port=29500 --nproc_per_node=8 train.py',
    'torchrun --nnodes=2 --node_rank=1 --master_addr=HOST --master_port=29500 --nproc_per_node=8 train.py',
    'torchrun --nproc_per_node=2 train.py --iterations 20   # a CPU smoke test',
    '```',
    '',
    'Debian bookworm\'s torch 1.13 on Python 3.11 cannot parse torchrun\'s default `--redirects 0`; add',
    '`--redirects 1 --tee 1` there (Fieldwork\'s CI does).',
    '',
    '`--ims-per-process N` sets the images per process and step (default: the run\'s batch divided by the processes),',
    '`--resume` continues from `output/checkpoint.pth`. Results: `output/coco_instances_results.json` (val),',
    '`output/model_final.pth` and `output/model_final.safetensors` (weights). Bring them back with',
    '`fieldwork import-run <project-dir> <this-folder>`.',
    '',
  ].join('\n');
}
