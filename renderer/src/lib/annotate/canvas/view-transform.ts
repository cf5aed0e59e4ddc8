// Screen ⇄ image mapping of the canvas: screen = image * scale + offset. Pure, unit-tested.

export interface ViewTransform {
  scale: number;
  x: number;
  y: number;
}

export const MIN_SCALE = 0.02;
export const MAX_SCALE = 64;

/** The whole image centred in a viewport of `vw`×`vh` screen px, with a small margin. */
export function fitView(imageW: number, imageH: number, vw: number, vh: number, margin = 0.98): ViewTransform {
  const scale = Math.min(vw / imageW, vh / imageH) * margin;
  return { scale, x: (vw - imageW * scale) / 2, y: (vh - imageH * scale) / 2 };
}

/** Zooms by `factor` keeping the image point under screen point (sx, sy) fixed. */
export function zoomAt(view: ViewTransform, sx: number, sy: number, factor: number): ViewTransform {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.scale * factor));
  const ix = (sx - view.x) / view.scale;
  const iy = (sy - view.y) / view.scale;
  return { scale, x: sx - ix * scale, y: sy - iy * scale };
}

export function toImage(view: ViewTransform, sx: number, sy: number): { x: number; y: number } {
  return { x: (sx - view.x) / view.scale, y: (sy - view.y) / view.scale };
}

/** The image-space rectangle visible in a `vw`×`vh` viewport. */
export function visibleRect(view: ViewTransform, vw: number, vh: number): { x0: number; y0: number; x1: number; y1: number } {
  const a = toImage(view, 0, 0);
  const b = toImage(view, vw, vh);
  return { x0: a.x, y0: a.y, x1: b.x, y1: b.y };
}

/** Wheel delta normalised to pixels (Firefox reports lines), mapped to a zoom factor. */
export function wheelFactor(deltaY: number, deltaMode: number): number {
  const px = deltaMode === 1 ? deltaY * 33 : deltaMode === 2 ? deltaY * 400 : deltaY;
  return Math.exp(-px * 0.0015);
}
