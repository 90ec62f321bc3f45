// Problems the checks find on today's pages that are not fixed yet. Each
// entry matches the problems of one page by a regular expression and gives
// the reason it is allowed for now. A listed problem is printed but does not
// fail a test, and any other problem does. docs/accessibility.md lists the
// same problems.
export const kKnownProblems = [
  {
    pattern: /^payment receipts \(\/services\/payments\/receipts\): scrolls sideways by \d+ px at 320 px wide$/,
    why: 'the receipts table has five columns that do not fit 320 px; ' +
      'it is to be reworked with the design-system pages',
  },
  {
    pattern: /^month view \(\/children\/[^/]+\/calendar\): scrolls sideways by \d+ px at 320 px wide$/,
    why: 'the month table is 8 px wider than 320 px; it is to be reworked with the ' +
      'design-system pages',
  },
];
