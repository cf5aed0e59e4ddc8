// The photo under the shapes: which decoded copy of the open image is on screen (the thumbnail stand-in,
// then full resolution), drawn for the current zoom. Loading and decoding belong to PhotoCache; this
// module stages what it delivers and says when the photo reached the screen.
import Konva from 'konva';
import type { ImageSession } from '../session.svelte.ts';
import { annotateProbe } from '../probe.ts';
import { PhotoCache, type Photo } from './photo-cache.ts';

export interface PhotoStageHost {
  /** The photo's own layer (listening(false)). */
  layer: Konva.Layer;
  /** Layers whose bitmaps follow the photo's smoothing (the read-only shapes). */
  smoothingFollowers: Konva.Layer[];
  /** The canvas's container: tests wait for its `data-painted-image`. */
  container: HTMLElement;
  /** The cached photo of an image, loading it if needed. */
  request(imageId: number): Photo;
  /** Screen px per image px. */
  scale(): number;
  notice(text: string, kind?: 'info' | 'warning' | 'error'): void;
}

export class PhotoStage {
  readonly #host: PhotoStageHost;
  readonly #node = new Konva.Image({ image: undefined, listening: false });
  #shown: Photo | null = null;
  #stage: 'none' | 'preview' | 'full' = 'none';

  constructor(host: PhotoStageHost) {
    this.#host = host;
    host.layer.add(this.#node);
  }

  /** Clears the photo; then, for a session, sizes it to the image and shows it as soon as it decodes. */
  show(session: ImageSession | null): void {
    this.#node.image(undefined);
    this.#shown = null;
    if (!session) return;
    const { width, height } = session.image;
    this.#node.size({ width, height });
    const photo = this.#host.request(session.image.id);
    this.#shown = photo;
    this.#stage = 'none';
    const started = performance.now();
    const show = (stage: 'preview' | 'full') => {
      if (this.#shown !== photo || this.#stage === 'full') return;
      this.#stage = stage;
      this.refresh();
      requestAnimationFrame(() => {
        if (this.#shown !== photo) return;
        // Tests wait for this attribute; a benchmark's probe gets the timing.
        this.#host.container.dataset.paintedImage = String(session.image.id);
        annotateProbe().imagePainted?.({ imageId: session.image.id, stage, ms: performance.now() - started });
      });
    };
    if (photo.levels.length > 0) {
      show('full');
      return;
    }
    void photo.previewReady.then(() => photo.preview && show('preview'));
    void photo.ready.then(() => {
      if (!photo.failed) show('full');
      else if (this.#shown === photo) this.#host.notice(`Could not load the image ${session.image.fileName}.`, 'error');
    });
  }

  /**
   * Shows the photo for the current zoom. Zoomed out it is drawn once, smoothly, into a bitmap of
   * screen resolution (panning then blits it); past 100 % it is drawn directly without smoothing, so
   * annotators see real pixels.
   */
  refresh(): void {
    const photo = this.#shown;
    if (!photo || this.#stage === 'none') return;
    const scale = this.#host.scale();
    const ratio = scale * devicePixelRatio;
    const source = PhotoCache.pick(photo, ratio);
    if (source && source !== this.#node.image()) this.#node.image(source);
    const smooth = scale < 1;
    this.#host.layer.imageSmoothingEnabled(smooth);
    for (const layer of this.#host.smoothingFollowers) layer.imageSmoothingEnabled(smooth);
    this.#node.clearCache();
    if (smooth && source) this.#node.cache({ pixelRatio: ratio, imageSmoothingEnabled: true });
    this.#host.layer.batchDraw();
  }
}
