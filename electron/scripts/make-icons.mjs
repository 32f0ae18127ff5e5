// Regenerates the app icons from resources/icons/icon.svg: PNGs at every size the three
// platforms ask for, icon.ico (Windows) and icon.icns (macOS). The outputs are committed,
// so packaging needs no image tools; run this only after changing the SVG.
// Needs `rsvg-convert` (Debian: apt-get install librsvg2-bin) or ImageMagick's `convert`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ICONS = fileURLToPath(new URL('../../resources/icons/', import.meta.url));
const SVG = join(ICONS, 'icon.svg');
const PNG_DIR = join(ICONS, 'png');
const SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
// Windows shows 16–48 in lists and the taskbar, 256 in large views; larger entries only bloat the file.
const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
// The icns types that hold PNG data, by pixel size (the @2x types reuse the larger PNG).
const ICNS_TYPES = [
  ['icp4', 16],
  ['icp5', 32],
  ['icp6', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024],
  ['ic11', 32],
  ['ic12', 64],
  ['ic13', 256],
  ['ic14', 512],
];

function render(size, out) {
  try {
    execFileSync('rsvg-convert', ['-w', String(size), '-h', String(size), SVG, '-o', out]);
  } catch {
    execFileSync('convert', [
      '-background',
      'none',
      '-density',
      '600',
      SVG,
      '-resize',
      `${size}x${size}`,
      `PNG32:${out}`,
    ]);
  }
}

function ico(pngs) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // 1 = icon
  header.writeUInt16LE(pngs.length, 4);
  const entries = [];
  let offset = 6 + 16 * pngs.length;
  for (const { size, data } of pngs) {
    const entry = Buffer.alloc(16);
    entry.writeUInt8(size >= 256 ? 0 : size, 0); // 0 means 256
    entry.writeUInt8(size >= 256 ? 0 : size, 1);
    entry.writeUInt8(0, 2);
    entry.writeUInt8(0, 3);
    entry.writeUInt16LE(1, 4); // colour planes
    entry.writeUInt16LE(32, 6); // bits per pixel
    entry.writeUInt32LE(data.length, 8);
    entry.writeUInt32LE(offset, 12);
    offset += data.length;
    entries.push(entry);
  }
  return Buffer.concat([header, ...entries, ...pngs.map((p) => p.data)]);
}

function icns(pngBySize) {
  const chunks = ICNS_TYPES.map(([type, size]) => {
    const data = pngBySize.get(size);
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(8 + data.length, 4);
    return Buffer.concat([head, data]);
  });
  const body = Buffer.concat(chunks);
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(8 + body.length, 4);
  return Buffer.concat([head, body]);
}

mkdirSync(PNG_DIR, { recursive: true });
const pngBySize = new Map();
for (const size of SIZES) {
  // electron-builder's Linux icon set: a folder of <size>x<size>.png files.
  const out = join(PNG_DIR, `${size}x${size}.png`);
  render(size, out);
  pngBySize.set(size, readFileSync(out));
}
writeFileSync(join(ICONS, 'icon.png'), pngBySize.get(1024));
writeFileSync(join(ICONS, 'icon.ico'), ico(ICO_SIZES.map((size) => ({ size, data: pngBySize.get(size) }))));
writeFileSync(join(ICONS, 'icon.icns'), icns(pngBySize));
console.log(`Icons written to ${ICONS}`);
