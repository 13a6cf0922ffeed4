export { gradientDescent, type GradientDescentOptions, type GradientDescentResult } from './gradient-descent.js';
