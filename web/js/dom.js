// DOM building without HTML strings: every value becomes a text node or an attribute, so data
// from certificates and logs can never turn into markup (the CSP forbids inline script anyway).

const PROPERTIES = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'open',
  'required', 'readOnly', 'multiple', 'type']);

/**
 * h('td', {class: 'x', title: 'y', onclick: fn, dataset: {fp: '..'}}, 'text', childNode, [more])
 * Strings, numbers and booleans become text nodes; null, undefined and false are skipped.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') {
      element.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    } else if (name === 'text') {
      element.textContent = String(value);
    } else if (name === 'dataset') {
      for (const [key, data] of Object.entries(value)) element.dataset[key] = String(data);
    } else if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (PROPERTIES.has(name)) {
      element[name] = value;
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

/** Appends children (strings as text, nodes, nested arrays). */
export function append(parent, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Removes every child. */
export function clear(element) {
  element.replaceChildren();
  return element;
}

/** Replaces the children of element. */
export function replace(element, ...children) {
  clear(element);
  return append(element, children);
}

/** A labelled form field wrapping control. */
export function field(label, control, hint) {
  return h('label', { class: 'field' },
    h('span', { class: 'field-label', text: label }),
    control,
    hint ? h('span', { class: 'field-hint', text: hint }) : null);
}

/** A checkbox with its label. */
export function checkbox(label, attributes = {}) {
  const input = h('input', { type: 'checkbox', ...attributes });
  return { input, element: h('label', { class: 'check' }, input, h('span', { text: label })) };
}

/** A <select> from [value, label] pairs. */
export function select(options, attributes = {}) {
  const element = h('select', attributes);
  for (const [value, label] of options) element.append(h('option', { value, text: label }));
  if (attributes.value !== undefined) element.value = attributes.value;
  return element;
}

/** A badge: kind is ok, danger, warning, info, neutral, key or retry. */
export function badge(text, kind = 'neutral', attributes = {}) {
  return h('span', { ...attributes, class: ['badge', `badge-${kind}`, attributes.class] }, text);
}

/** A card with a header (title, optional description and header actions) and a body. */
export function card({ title, description, actions, id, bodyClass } = {}, ...body) {
  const header = title
    ? h('div', { class: 'card-header' },
      h('div', {}, h('h2', { text: title }), description ? h('p', { text: description }) : null),
      actions ? h('div', { class: 'page-actions' }, actions) : null)
    : null;
  return h('section', { class: 'card', id },
    header, h('div', { class: ['card-body', bodyClass] }, body));
}

/** The heading of a page with its description and actions. */
export function pageHeader(title, description, actions) {
  return h('div', { class: 'page-header' },
    h('div', {}, h('h1', { text: title }), description ? h('p', { text: description }) : null),
    actions ? h('div', { class: 'page-actions' }, actions) : null);
}

/** A table with a header row; rows is an array of <tr>; empty shows a message instead. */
export function table(headers, rows, { empty = 'Nothing to show.', id, className } = {}) {
  const body = h('tbody');
  if (rows.length === 0) {
    body.append(h('tr', {}, h('td', { class: 'empty', colspan: String(headers.length), text: empty })));
  } else {
    append(body, rows);
  }
  return h('div', { class: 'table-wrap' },
    h('table', { id, class: className },
      h('thead', {}, h('tr', {}, headers.map((title) => h('th', { scope: 'col', text: title })))),
      body));
}

/** A <dl> of [label, value] pairs; value may be a node or text. Empty values show a dash. */
export function properties(pairs) {
  const list = h('dl', { class: 'props' });
  for (const [label, value] of pairs) {
    const empty = value === undefined || value === null || value === '';
    list.append(h('dt', { text: label }), h('dd', {}, empty ? '—' : value));
  }
  return list;
}
