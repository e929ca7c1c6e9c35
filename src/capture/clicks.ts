import type { Plugin } from '../types';

// Placeholder: being implemented (issue 3).
export function clicks(): Plugin {
  return { name: 'clicks' };
}
