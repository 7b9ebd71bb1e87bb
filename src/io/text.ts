// Byte-to-text decodings the formats define (io layer). TextDecoder cannot do these two: its "latin1"
// label means windows-1252 (the WHATWG Encoding standard), which differs from ISO-8859-1 at 0x80–0x9F.

/** ISO-8859-1: each byte is the code point of the same value (numpy's .npy v1/v2 headers). */
export function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

/** Code page 437's upper half, as Python's `cp437` codec decodes bytes 0x80–0xFF. */
const CP437_HIGH =
  "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0";

/** Code page 437: ZIP entry names without the UTF-8 flag (APPNOTE.TXT appendix D). */
export function cp437(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80];
  return s;
}
