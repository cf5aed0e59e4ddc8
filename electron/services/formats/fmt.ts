// Number formatting shared by the YOLO and VOC writers.

/** Up to 6 decimals, trailing zeros dropped: 0.5 → "0.5", 1/3 → "0.333333". */
export const fmt = (v: number, digits = 6) => {
  const s = v.toFixed(digits).replace(/\.?0+$/, '');
  return s === '-0' ? '0' : s;
};
