export { lectureNetwork, lectureBatch, LECTURE_U, LECTURE_V, LECTURE_W } from './example.js';
export { lectureWalkthrough, type LectureWalkthrough, type LectureGradients, type LectureTraining, type WalkthroughOptions } from './walkthrough.js';
