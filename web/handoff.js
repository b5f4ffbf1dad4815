/**
 * Examples one view hands to another inside the page: the network view offers a layer
 * (a /api/conv body with its real input and filters, shaped like a GET /api/examples
 * entry) and the conv view opens it by id from its hash (`#conv&ex=net-layer-0`). They
 * live only as long as the page: a reloaded link falls back to the view's defaults.
 */
const offered = new Map();

export function offerExample(example) {
  offered.set(example.id, example);
}

export function offeredExample(id) {
  return offered.get(id) || null;
}
