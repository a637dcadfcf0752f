/**
 * Memory for outgoing packets (DESIGN.md decision 2: the per-packet cost rules). A fresh
 * ArrayBuffer per packet costs more than building the packet, so packets are carved from
 * shared slabs: each call returns zeroed bytes that no other packet uses, ever (a slab is never
 * recycled; it is collected once no packet views it), so the Link rule "sent arrays belong to
 * the link" still holds. Starts are 8-byte aligned, which keeps the 32-bit checksum path open.
 */
const SLAB_SIZE = 256 * 1024;
/** Larger packets get their own buffer rather than wasting the rest of a slab. */
const LARGEST_CARVED = 16 * 1024;

let slab = new Uint8Array(SLAB_SIZE);
let slabUsed = 0;

/** `length` zeroed bytes for a packet being built. */
export function allocatePacket(length: number): Uint8Array {
  if (length > LARGEST_CARVED) return new Uint8Array(length);
  if (slabUsed + length > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    slabUsed = 0;
  }
  const packet = slab.subarray(slabUsed, slabUsed + length);
  slabUsed += (length + 7) & ~7;
  return packet;
}

/**
 * `length` zeroed bytes preceded by `headroom` free bytes in the same buffer, for a layer that
 * wants the layer below to prepend its header without copying (OutboundDatagram.headroom).
 */
export function allocateWithHeadroom(headroom: number, length: number): Uint8Array {
  return allocatePacket(headroom + length).subarray(headroom);
}
