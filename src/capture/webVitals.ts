import type { Plugin } from '../types';

// Placeholder: being implemented (issue 3).
export function webVitals(): Plugin {
  return { name: 'webVitals' };
}
