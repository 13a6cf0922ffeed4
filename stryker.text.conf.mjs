// npm run mutate -- text
import { strykerConfig } from './mutation/config.mjs';

export default strykerConfig('text', ['text', 'sample', 'sample-draw', 'sample-start', 'sample-stream', 'text-stream', 'mutation-text-tokenizer', 'mutation-text-corpus', 'mutation-text-sample']);
