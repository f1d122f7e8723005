// A numpy .npy file (as GET /api/runs/{id}/stages/{k}/values.npy serves it) → { shape, data }.
// Only what the server writes: little-endian float32, C order. No DOM; pure.

const MAGIC = "\x93NUMPY";

/** Parses an ArrayBuffer holding a .npy file: { shape: number[], data: Float32Array }. */
export function parseNpy(buffer) {
  const bytes = new Uint8Array(buffer);
  if (String.fromCharCode(...bytes.slice(0, 6)) !== MAGIC) throw new Error("not a .npy file");
  const view = new DataView(buffer);
  const major = bytes[6];
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder("latin1").decode(bytes.slice(start, start + headerLength));
  const descr = header.match(/'descr':\s*'([^']+)'/)[1];
  if (descr !== "<f4") throw new Error(`expected float32 values, got ${descr}`);
  if (/'fortran_order':\s*True/.test(header)) throw new Error("expected C order");
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1].split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  const offset = start + headerLength;
  const count = shape.reduce((a, b) => a * b, 1);
  // The data starts 64-byte aligned (numpy pads the header), so a Float32Array can view it in place.
  return { shape, data: new Float32Array(buffer, offset, count) };
}

/** The shortest decimal that reads back as the same float32: the exact value, as a person writes it. */
export function float32Text(v) {
  if (!Number.isFinite(v)) return String(v);
  for (let p = 1; p < 10; p++) {
    const t = Number(v.toPrecision(p));
    if (Math.fround(t) === v) return String(t);
  }
  return String(v);
}
