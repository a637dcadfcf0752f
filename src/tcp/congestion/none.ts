/** No congestion control: only the peer's window limits the sender (exact-timing tests). */
import type { CongestionControl } from '../congestion.js';

export class NoCongestionControl implements CongestionControl {
  readonly name = 'none';
  window(): number {
    return Infinity;
  }
  slowStartThreshold(): number {
    return Infinity;
  }
  onAck(): void {}
  onLoss(): void {}
  onRetransmitTimeout(): void {}
  limitWindow(): void {}
  setMss(): void {}
}
