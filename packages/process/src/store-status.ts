import { withDeadline } from '@flash-sale/queues';

export type StoreStatus = 'ok' | 'down';

/**
 * Whether a store answers `probe` within `ms`: the one probe behind readiness (`GET /health/ready`)
 * and the processes' wait for their stores at start. `onDown` hears why it did not.
 */
export async function probeStore(probe: () => Promise<unknown>, ms: number, onDown: (error: unknown) => void = () => undefined): Promise<StoreStatus> {
  try {
    await withDeadline(probe(), ms, 'store probe');
    return 'ok';
  } catch (error) {
    onDown(error);
    return 'down';
  }
}
