/**
 * Building a replica's copy of the model from its description (what the
 * main thread sends in the setup message). The copy's initial values do not
 * matter: every step starts from the shared θ.
 */

import { OptionError } from '../core/errors.js';
import { Network, type NetworkConfig } from '../model/network.js';
import { Seq2Seq, type Seq2SeqOptions } from '../seq2seq/model.js';
import { MeanPooledObjective } from '../tasks/classify.js';
import type { ShardableTrainable } from '../train/trainable.js';
import type { ReplicaModel } from './protocol.js';

/** A network, or a trainable of one of the kinds a replica knows. */
export function buildReplicaModel(m: ReplicaModel): Network | ShardableTrainable<unknown> {
  switch (m.kind) {
    case 'network': return new Network({ ...m.config });
    case 'seq2seq': return new Seq2Seq({ ...m.options } as unknown as Seq2SeqOptions) as ShardableTrainable<unknown>;
    case 'mean-pooled': return new MeanPooledObjective(new Network({ ...m.config } as unknown as NetworkConfig)) as ShardableTrainable<unknown>;
    default: throw new OptionError(`a replica cannot build a model of kind ${String((m as { kind: unknown }).kind)}`);
  }
}
