/** The part of cli-progress (3.x, which ships no types) that src/cli/progress.ts uses. */
declare module 'cli-progress' {
  interface BarOptions {
    format?: string;
    barCompleteChar?: string;
    barIncompleteChar?: string;
    barsize?: number;
    hideCursor?: boolean;
    stream?: NodeJS.WritableStream;
    fps?: number;
    autopadding?: boolean;
    clearOnComplete?: boolean;
  }
  class SingleBar {
    update(value: number, payload?: Record<string, unknown>): void;
  }
  class MultiBar {
    constructor(options: BarOptions);
    create(total: number, start: number, payload?: Record<string, unknown>): SingleBar;
    log(text: string): void;
    stop(): void;
  }
  const cliProgress: { MultiBar: typeof MultiBar; SingleBar: typeof SingleBar };
  export default cliProgress;
}
