import type { Plugin } from '../types';

// Placeholder: being implemented (issue 3).
export function attribution(): Plugin {
  return { name: 'attribution' };
}
