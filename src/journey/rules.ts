// Placeholder: being implemented (issue 4). Pure rule validation and matching, no DOM.
export {};
