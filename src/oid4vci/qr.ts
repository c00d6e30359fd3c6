import qrcode from 'qrcode-generator';

/**
 * The offer URI as a scalable SVG QR code. qrcode-generator is dependency-free plain JS (no
 * node:*, no canvas), so the same code runs on Node and Workers. Level M survives a smudged
 * screen; type 0 lets the library pick the smallest symbol that holds the URI.
 */
export function qrSvg(text: string): string {
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Byte');
  qr.make();
  return qr.createSvgTag({ cellSize: 4, margin: 4, scalable: true });
}
