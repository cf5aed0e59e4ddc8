// Decoded photos for the canvas, with smaller copies for low zoom. Decoding a 12-megapixel JPEG takes
// longer than a frame budget, and software rasterising it at 25 % costs tens of ms per frame while
// panning, so: the neighbours of the open image are decoded ahead (D/F feel instant), the thumbnail
// stands in until the full image is ready, and zoomed-out views draw a halved or quartered copy.

export interface Photo {
  readonly imageId: number;
  /** The 256-px thumbnail, once loaded (a stand-in while the full image decodes). */
  preview: CanvasImageSource | null;
  /** Full resolution, then ½ and ¼ when the image is large enough to need them. */
  levels: ImageBitmap[];
  /** Settles once the full-resolution image is decoded (or failed). */
  readonly ready: Promise<void>;
  readonly previewReady: Promise<void>;
  failed: boolean;
}

async function loadImage(url: string): Promise<HTMLImageElement> {
  const img = new Image();
  img.decoding = 'async';
  img.src = url;
  await img.decode();
  return img;
}

export class PhotoCache {
  readonly #url: (imageId: number, variant: 'full' | 'thumb') => string;
  readonly #capacity: number;
  readonly #photos = new Map<number, Photo>();

  constructor(url: (imageId: number, variant: 'full' | 'thumb') => string, capacity = 4) {
    this.#url = url;
    this.#capacity = capacity;
  }

  /** The photo of `imageId`, loading it if needed; marks it most recently used. */
  request(imageId: number): Photo {
    let photo = this.#photos.get(imageId);
    if (photo) {
      this.#photos.delete(imageId);
      this.#photos.set(imageId, photo);
      return photo;
    }
    const p: Photo = {
      imageId,
      preview: null,
      levels: [],
      failed: false,
      previewReady: loadImage(this.#url(imageId, 'thumb')).then(
        (img) => void (p.preview = img),
        () => {},
      ),
      ready: this.#decode(imageId).then(
        (levels) => void (p.levels = levels),
        () => void (p.failed = true),
      ),
    };
    photo = p;
    this.#photos.set(imageId, photo);
    while (this.#photos.size > this.#capacity) {
      const [oldest, evicted] = this.#photos.entries().next().value!;
      this.#photos.delete(oldest);
      void evicted.ready.then(() => evicted.levels.forEach((b) => b.close()));
    }
    return photo;
  }

  async #decode(imageId: number): Promise<ImageBitmap[]> {
    const img = await loadImage(this.#url(imageId, 'full'));
    const full = await createImageBitmap(img);
    const levels = [full];
    let w = full.width, h = full.height;
    while (Math.max(w, h) > 1600 && levels.length < 3) {
      w = Math.round(w / 2);
      h = Math.round(h / 2);
      levels.push(await createImageBitmap(full, { resizeWidth: w, resizeHeight: h, resizeQuality: 'medium' }));
    }
    return levels;
  }

  /** The smallest decoded level that still has at least one source pixel per screen pixel. */
  static pick(photo: Photo, screenPxPerImagePx: number): CanvasImageSource | null {
    if (photo.levels.length === 0) return photo.preview;
    let level = 0;
    while (level + 1 < photo.levels.length && screenPxPerImagePx * 2 ** (level + 1) <= 1) level++;
    return photo.levels[level];
  }

  clear(): void {
    for (const photo of this.#photos.values()) void photo.ready.then(() => photo.levels.forEach((b) => b.close()));
    this.#photos.clear();
  }
}
