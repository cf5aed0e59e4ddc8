#!/usr/bin/env node
// Draws resources/icon.png (512×512): a dark rounded tile with a dashed annotation polygon around a
// filled mask. electron-builder derives the Windows .ico, macOS .icns and Linux sizes from it.
// Usage: node build/make-icon.mjs [--force]
import sharp from 'sharp';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const out = fileURLToPath(new URL('../resources/icon.png', import.meta.url));
if (existsSync(out) && !process.argv.includes('--force')) {
  console.log(`${out} exists (use --force to redraw)`);
  process.exit(0);
}
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512">
  <rect x="16" y="16" width="480" height="480" rx="96" fill="#1e2a33"/>
  <path d="M150 340 L190 170 L300 140 L370 230 L330 360 L210 380 Z" fill="#3fb68b" fill-opacity="0.55"/>
  <path d="M150 340 L190 170 L300 140 L370 230 L330 360 L210 380 Z" fill="none" stroke="#e9f5ef" stroke-width="14" stroke-linejoin="round" stroke-dasharray="34 18"/>
  <g fill="#e9f5ef">
    <circle cx="150" cy="340" r="16"/><circle cx="190" cy="170" r="16"/><circle cx="300" cy="140" r="16"/>
    <circle cx="370" cy="230" r="16"/><circle cx="330" cy="360" r="16"/><circle cx="210" cy="380" r="16"/>
  </g>
</svg>`;
await sharp(Buffer.from(svg)).png().toFile(out);
const meta = await sharp(out).metadata();
console.log(`wrote ${out} (${meta.width}×${meta.height})`);
