#!/usr/bin/env python3
"""Trains this exported Fieldwork run with Detectron2 from random initialisation (config.yaml, complete).

  python train.py --num-gpus 1
  python train.py --num-gpus 8
  python train.py --num-gpus 8 --num-machines 2 --machine-rank 0 --dist-url tcp://HOST:29500   # on machine 0
  python train.py --num-gpus 8 --num-machines 2 --machine-rank 1 --dist-url tcp://HOST:29500   # on machine 1
  python train.py --eval-only MODEL.WEIGHTS output/model_final.pth

Registers datasets/{train,val,test}.json as fieldwork_{train,val,test} (COCO instances), trains with
Detectron2's DefaultTrainer and evaluates with COCOEvaluator every TEST.EVAL_PERIOD; the val predictions
land in output/inference/coco_instances_results.json, which `fieldwork import-run` reads back.
Extra KEY VALUE pairs after the flags override config.yaml (Detectron2's usual "opts").
"""
import os

from detectron2.checkpoint import DetectionCheckpointer
from detectron2.config import get_cfg
from detectron2.data.datasets import register_coco_instances
from detectron2.engine import DefaultTrainer, default_argument_parser, default_setup, launch
from detectron2.evaluation import COCOEvaluator

HERE = os.path.dirname(os.path.abspath(__file__))


def register():
    for split in ("train", "val", "test"):
        path = os.path.join(HERE, "datasets", f"{split}.json")
        if os.path.exists(path):
            register_coco_instances(f"fieldwork_{split}", {}, path, os.path.join(HERE, "datasets"))


class Trainer(DefaultTrainer):
    @classmethod
    def build_evaluator(cls, cfg, dataset_name, output_folder=None):
        return COCOEvaluator(dataset_name, output_dir=output_folder or os.path.join(cfg.OUTPUT_DIR, "inference"))


def setup(args):
    cfg = get_cfg()
    cfg.merge_from_file(os.path.join(HERE, "config.yaml"))
    cfg.merge_from_list(args.opts)
    if not os.path.isabs(cfg.OUTPUT_DIR):
        cfg.OUTPUT_DIR = os.path.join(HERE, cfg.OUTPUT_DIR)
    cfg.freeze()
    default_setup(cfg, args)
    return cfg


def main(args):
    register()
    cfg = setup(args)
    if args.eval_only:
        model = Trainer.build_model(cfg)
        DetectionCheckpointer(model, save_dir=cfg.OUTPUT_DIR).resume_or_load(cfg.MODEL.WEIGHTS, resume=False)
        return Trainer.test(cfg, model)
    trainer = Trainer(cfg)
    trainer.resume_or_load(resume=args.resume)
    return trainer.train()


if __name__ == "__main__":
    args = default_argument_parser().parse_args()
    launch(main, args.num_gpus, num_machines=args.num_machines, machine_rank=args.machine_rank, dist_url=args.dist_url, args=(args,))
