// The baseline: the same page and harness with no SDK, so what is left after subtracting
// it is the SDK's own cost.
export function init() {}
export function track() {}
