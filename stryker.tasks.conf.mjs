// npm run mutate -- tasks
import { strykerConfig } from './mutation/config.mjs';

// mutation-tasks-parts covers the small pure files (metrics, splits, windows, scaling, time axis,
// class metrics, symbols, edit distance, pronunciations, sensor windows) in well under a second;
// forecast, classify and pronounce train small models in a few seconds for forecast.ts,
// classify.ts and logistic.ts
export default strykerConfig('tasks', ['mutation-tasks-parts', 'forecast', 'classify', 'pronounce']);
