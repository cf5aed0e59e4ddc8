// Timing probes for the canvas benchmark (bench/canvas.ts) and tests. Production code calls them; the
// app installs none, so by default they do nothing. A benchmark installs its own before the app loads
// (Playwright's addInitScript sets `window.__fieldworkProbe`), and decides itself what to record.

export interface PaintedImage {
  imageId: number;
  /** 'preview': the thumbnail stand-in; 'full': the full-resolution photo. */
  stage: 'preview' | 'full';
  /** Milliseconds since the image was chosen. */
  ms: number;
}

export interface AnnotateProbe {
  /** Konva finished drawing one frame of the canvas (all layers), in ms. */
  frame?(ms: number): void;
  /** The open image's photo reached the screen. */
  imagePainted?(painted: PaintedImage): void;
  /** The store answered one queued edit (or failed it), in ms from the edit's start. */
  saved?(ms: number): void;
}

declare global {
  interface Window {
    __fieldworkProbe?: AnnotateProbe;
  }
}

/** The installed probe, or one that does nothing. */
export function annotateProbe(): AnnotateProbe {
  return (typeof window !== 'undefined' && window.__fieldworkProbe) || {};
}

/**
 * Reports each frame's drawing time to `report`. Konva draws all layers of a frame in one callback, so a
 * microtask queued at the first layer's beforeDraw runs once they are all done.
 */
export function timeFrames(layers: readonly { on(event: 'beforeDraw', handler: () => void): unknown }[], report: (ms: number) => void): void {
  let frameStart = -1;
  for (const layer of layers) {
    layer.on('beforeDraw', () => {
      if (frameStart >= 0) return;
      frameStart = performance.now();
      queueMicrotask(() => {
        report(performance.now() - frameStart);
        frameStart = -1;
      });
    });
  }
}
