import type { Plugin } from '../types';

// Placeholder: being implemented (issue 4).
export function journey(_rules: unknown): Plugin {
  return { name: 'journey' };
}
