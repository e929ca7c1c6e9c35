import type { Plugin } from '../types';

// Placeholder: being implemented (issue 3).
export function forms(): Plugin {
  return { name: 'forms' };
}
