// A progress bar for commands that can run longer than a second (importing a roster): drawn on
// stderr and only when stderr is a terminal, so scripts and pipes see the same output as before.
// cli-progress draws it; it is loaded only when there is a terminal to draw on.
export class Progress {
  private constructor(private readonly bar: { increment(): void; stop(): void } | undefined) {}

  /** A bar over `total` steps labelled `what`, or a silent one off a terminal or for tiny jobs. */
  static async start(total: number, what: string): Promise<Progress> {
    if (!process.stderr.isTTY || total < 2) return new Progress(undefined);
    const { SingleBar, Presets } = (await import('cli-progress')).default;
    const bar = new SingleBar(
      { format: `${what} [{bar}] {value}/{total} {percentage}% eta {eta_formatted}`, stream: process.stderr },
      Presets.shades_classic,
    );
    bar.start(total, 0);
    return new Progress(bar);
  }

  tick(): void {
    this.bar?.increment();
  }

  stop(): void {
    this.bar?.stop();
  }
}
