import type { Plugin } from '../types';

// Placeholder: being implemented (issue 3).
export function frustration(): Plugin {
  return { name: 'frustration' };
}
