/**
 * The URL the document was loaded from, as its Navigation Timing entry keeps it: an SPA's
 * location may have moved on (a tracker created late, lazy-loaded or once consent is given,
 * or again after a hot reload, on another route), and its router may have tidied the campaign
 * parameters away. Where the entry is missing (Safari before 15), the current location.
 */
export const landing = (): string => (performance.getEntriesByType?.('navigation')[0] as PerformanceNavigationTiming | undefined)?.name || location.href;
