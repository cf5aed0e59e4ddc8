// The training loop, told the way Detectron2's engine/train_loop.py tells it: steps, and hooks that
// run before training, after every step and after training. Everything a run does besides the SGD
// step itself — planning a time budget, progress events, checkpoints, evaluation, early stop,
// predictions, the report — is a hook (./hooks.ts, ./eval_hook.ts, ./schedule_hooks.ts,
// ./report_hook.ts), so the loop stays a few lines and each behaviour can be read on its own.
import type { LossValues } from '../protocol.ts';

/** What the loop and its hooks share while a run trains. */
export interface LoopState {
  /** Iterations done (the next step trains iteration `iteration`). */
  iteration: number;
  /** The loop ends when `iteration` reaches this; a budget run's plan moves it once it knows its length. */
  stopAt: number;
  /** Set by a hook to end the loop after this step, and why. */
  stopReason: 'cancelled' | 'early' | null;
  /** The last step's losses and learning rate. */
  losses: LossValues;
  lr: number;
}

/** Detectron2's HookBase, in the three places our runs need. Hooks run in the order given. */
export interface Hook {
  beforeTrain?(loop: LoopState): void | Promise<void>;
  afterStep?(loop: LoopState): void | Promise<void>;
  afterTrain?(loop: LoopState): void | Promise<void>;
}

/** One training step of iteration `iteration`; `drain` waits for any batch it prefetched. */
export interface Stepper {
  step(iteration: number): Promise<{ losses: LossValues; lr: number }>;
  drain(): Promise<void>;
}

/** Runs the steps until `stopAt` or a hook's stop, then the hooks' afterTrain. An exception ends the run (no afterTrain). */
export async function runLoop(loop: LoopState, stepper: Stepper, hooks: readonly Hook[]): Promise<void> {
  for (const h of hooks) await h.beforeTrain?.(loop);
  while (loop.iteration < loop.stopAt && !loop.stopReason) {
    const { losses, lr } = await stepper.step(loop.iteration);
    Object.assign(loop, { iteration: loop.iteration + 1, losses, lr });
    for (const h of hooks) {
      await h.afterStep?.(loop);
      if (loop.stopReason) break;
    }
  }
  await stepper.drain();
  for (const h of hooks) await h.afterTrain?.(loop);
}
