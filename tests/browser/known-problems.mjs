// Problems the checks find on today's pages that are not fixed yet. Each
// entry matches the problems of one page by a regular expression and gives
// the reason it is allowed for now. A listed problem is printed but does not
// fail a test, and any other problem does. docs/accessibility.md lists the
// same problems.
export const kKnownProblems = [];
