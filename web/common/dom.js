// The pages' few DOM helpers. Text, from the server or not, is only ever
// set as text (textContent), never as HTML.

export const $ = (id) => document.getElementById(id);

// A new `tag` at the end of `parent`, holding `text` (when given), of class `cls`.
export function item(parent, tag, text, cls) {
  const el = document.createElement(tag);
  if (text !== undefined) el.textContent = text;
  if (cls) el.className = cls;
  parent.append(el);
  return el;
}

// The page's labels (the elements with data-t="KEY") in the words `t`.
export function showLabels(t) {
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t[el.dataset.t];
}

// The description list `dl`, emptied, then filled with [term, text] pairs.
export function describe(dl, pairs) {
  dl.replaceChildren();
  for (const [term, text] of pairs) {
    item(dl, 'dt', term);
    item(dl, 'dd', text);
  }
}
