/** Runs the gradient-flow experiment (gradient-flow.ts) off the main thread: options in, one result per cell out. */

import { gradientFlow, type FlowOptions, type FlowResult } from './gradient-flow.js';

export interface FlowRequest {
  readonly id: number;
  readonly runs: readonly FlowOptions[];
}

export type FlowReply =
  | { readonly id: number; readonly results: readonly FlowResult[] }
  | { readonly id: number; readonly error: string };

self.onmessage = (e: MessageEvent<FlowRequest>) => {
  const { id, runs } = e.data;
  let reply: FlowReply;
  try {
    reply = { id, results: runs.map(gradientFlow) };
  } catch (err) {
    reply = { id, error: err instanceof Error ? err.message : String(err) };
  }
  (self as unknown as Worker).postMessage(reply);
};
