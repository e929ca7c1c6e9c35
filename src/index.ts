// Re-exports only. Every module is free of side effects, so bundlers drop what is not imported.
export { createTracker } from './core/tracker';
export { pageViews } from './capture/pageViews';
export { clicks } from './capture/clicks';
export { forms } from './capture/forms';
export { frustration } from './capture/frustration';
export { attribution } from './capture/attribution';
export { webVitals } from './capture/webVitals';
export { journey } from './journey/index';
export type * from './types';
