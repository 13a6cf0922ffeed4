// npm run mutate -- text
import { strykerConfig } from './mutation/config.mjs';

export default strykerConfig('text', ['text', 'sample', 'sample-draw', 'sample-start', 'text-stream']);
