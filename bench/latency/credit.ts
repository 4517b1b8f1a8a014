/**
 * One credit under measurement, whichever path carries it, and the board that matches ledger commits to credits.
 * Times are performance.now() in the bench process: sentAt when the request is written (or the client call made),
 * ackAt when the webhook answered (or the start call resolved), commitAt when the ledger row's commit was seen.
 */
export interface Credit {
  /** The ledger row's source key: what the commit notification carries. */
  key: string;
  workflowId: string;
  /** Sends it; sets sentAt, then ackAt on success; rejects on failure. */
  deliver(): Promise<void>;
  sentAt?: number;
  ackAt?: number;
  commitAt?: number;
  failure?: string;
}

export class CommitBoard {
  private readonly byKey = new Map<string, Credit>();
  private readonly waiters = new Map<string, () => void>();

  track(credits: Credit[]): void {
    for (const credit of credits) this.byKey.set(credit.key, credit);
  }

  /** The commit listener's callback; a key no credit tracks (another group's row) is ignored. */
  committed(key: string, at: number): void {
    const credit = this.byKey.get(key);
    if (!credit || credit.commitAt !== undefined) return;
    credit.commitAt = at;
    this.waiters.get(key)?.();
    this.waiters.delete(key);
  }

  /** Resolves true when the credit's row committed, false after timeoutMs. */
  waitFor(credit: Credit, timeoutMs: number): Promise<boolean> {
    if (credit.commitAt !== undefined) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(credit.key);
        resolve(false);
      }, timeoutMs);
      this.waiters.set(credit.key, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
