// The store web UI: plain JavaScript, no build step. Everything the page shows comes from the
// JSON API under /api/store; the session lives in an HttpOnly cookie the script never sees.
'use strict';

const STATE_LABELS = {
  preparing: '준비',
  open: '영업',
  break: '브레이크',
  closing: '마감 중',
  closed: '마감',
};
const ACTION_LABELS = {
  ready: '영업 준비',
  open: '영업 시작',
  break: '브레이크',
  resume: '영업 재개',
  start_closing: '마감 시작',
  close: '마감',
};
const DAY_REFRESH_MS = 20000;

const app = {
  me: null,
  day: null,
  menu: null,
  tab: 'day',
  refreshTimer: null,
};

// ---- small helpers -------------------------------------------------------------------------

const $ = (selector, root = document) => root.querySelector(selector);

// Builds DOM nodes; text always goes in as text nodes, never as HTML.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, '');
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

function won(amount) {
  return `${Number(amount).toLocaleString('ko-KR')}원`;
}

// The short order number staff read on tickets and reports: the order id's last 8 characters,
// random in a UUIDv7, so two orders of a day practically never share one.
function orderNumber(orderId) {
  return String(orderId).slice(-8);
}

function clock(iso) {
  if (!iso) return '';
  return new Date(iso).toLocaleString('ko-KR', {
    month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit',
  });
}

let noticeTimer = null;
function notify(message, kind = 'ok') {
  const box = $('#notice');
  box.textContent = message;
  box.className = `notice ${kind}`;
  box.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { box.hidden = true; }, kind === 'error' ? 6000 : 2500);
}

function showMessage(node, message, kind = 'error') {
  node.textContent = message || '';
  node.className = `message ${kind}`;
  node.hidden = !message;
}

// ---- the API -------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super(body.message);
    this.status = status;
    this.code = body.error;
    this.body = body;
  }
}

async function api(method, path, body, { background = false } = {}) {
  const headers = { Accept: 'application/json' };
  // Every state-changing request carries the CSRF header the gateway insists on.
  if (method !== 'GET') headers['X-SimpleOrder-CSRF'] = '1';
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (background) headers['X-SimpleOrder-Background'] = '1';
  let response;
  try {
    response = await fetch(`/api/store${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch (_) {
    throw new ApiError(0, { error: 'network', message: '서버에 연결할 수 없습니다. 네트워크를 확인해 주세요.' });
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch (_) {
    data = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data && data.message
      ? data
      : { error: `http_${response.status}`, message: '요청을 처리하지 못했습니다. 잠시 후 다시 시도해 주세요.' });
    if (response.status === 401 && app.me) signedOut(error.message);
    throw error;
  }
  return data;
}

// Runs an action from a button; errors become a notice, and the button is disabled meanwhile.
// Resolves to whether it succeeded.
async function act(button, work) {
  if (button) button.disabled = true;
  try {
    await work();
    return true;
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) notify(error.message, 'error');
    return false;
  } finally {
    if (button) button.disabled = false;
  }
}

// ---- session -------------------------------------------------------------------------------

function showView(name) {
  $('#loading-view').hidden = name !== 'loading';
  $('#login-view').hidden = name !== 'login';
  $('#app-view').hidden = name !== 'app';
  $('#who').hidden = name !== 'app';
}

function showLogin(message, kind = 'error') {
  app.me = null;
  clearInterval(app.refreshTimer);
  showView('login');
  showMessage($('#login-message'), message || '', kind);
  $('#login-form input[name=login]').focus();
}

function signedOut(message) {
  showLogin(message);
}

function startApp(me) {
  app.me = me;
  document.body.classList.toggle('viewer', me.role !== 'admin');
  $('#store-name').textContent = me.store_name || me.login;
  $('#role-badge').textContent = me.role === 'admin' ? '관리자' : '보기 전용';
  showView('app');
  selectTab(app.tab);
  clearInterval(app.refreshTimer);
  app.refreshTimer = setInterval(() => {
    if (app.me && app.tab === 'day' && !document.hidden) loadDay(true);
  }, DAY_REFRESH_MS);
}

async function login(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const button = $('#login-submit');
  button.disabled = true;
  try {
    const password = form.elements.namedItem('password');
    const result = await api('POST', '/login', {
      login: form.elements.namedItem('login').value.trim(),
      password: password.value,
    });
    password.value = '';
    startApp(result.me);
    if (result.replaced_previous) notify('다른 기기의 이전 로그인은 종료되었습니다.');
  } catch (error) {
    showMessage($('#login-message'), error.message);
  } finally {
    button.disabled = false;
  }
}

async function logout() {
  await act($('#logout-btn'), async () => {
    await api('POST', '/logout');
    showLogin('로그아웃되었습니다.', 'ok');
  });
}

async function joinAsViewer(code) {
  // The code must not linger in the address bar or history.
  history.replaceState(null, '', location.pathname);
  try {
    const me = await api('POST', '/viewer/join', { code });
    startApp(me);
    notify('보기 전용으로 연결되었습니다.');
  } catch (error) {
    showLogin(error.message);
  }
}

async function openViewerLink() {
  await act($('#viewer-link-btn'), async () => {
    const link = await api('POST', '/viewer');
    $('#viewer-link').value = link.url;
    $('#viewer-link-expiry').textContent = clock(link.expires_at);
    $('#viewer-dialog').showModal();
    $('#viewer-link').select();
  });
}

async function copyViewerLink() {
  const input = $('#viewer-link');
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
    notify('링크를 복사했습니다.');
  } catch (_) {
    notify('링크를 길게 눌러 복사해 주세요.', 'error');
  }
}

// ---- tabs ----------------------------------------------------------------------------------

function selectTab(name) {
  app.tab = name;
  for (const button of document.querySelectorAll('[data-tab]')) {
    button.setAttribute('aria-selected', String(button.dataset.tab === name));
  }
  for (const panel of document.querySelectorAll('.tab')) {
    panel.hidden = panel.id !== `tab-${name}`;
  }
  if (name === 'day') loadDay(false);
  if (name === 'menu') loadMenu();
  if (name === 'profile') loadProfile();
}

// ---- store profile -------------------------------------------------------------------------

const PROFILE_FIELDS = ['address', 'phone', 'description', 'opening_hours'];

function renderProfile(profile) {
  const form = $('#profile-form');
  for (const name of PROFILE_FIELDS) {
    const input = form.elements.namedItem(name);
    input.value = profile[name] || '';
    input.readOnly = app.me.role !== 'admin';
  }
  const at = profile.location;
  $('#profile-location').textContent = at
    ? `확인된 위치: ${at.address} (위도 ${at.lat.toFixed(5)}, 경도 ${at.lng.toFixed(5)}). 영업 중에는 이 위치로 ‘주변 매장’ 검색에 나옵니다.`
    : '주소가 없어 ‘주변 매장’ 검색에 나오지 않습니다.';
}

async function loadProfile() {
  showMessage($('#profile-message'), '');
  try {
    renderProfile(await api('GET', '/profile'));
  } catch (error) {
    if (error.status !== 401) showMessage($('#profile-message'), error.message);
  }
}

async function saveProfile(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const body = {};
  for (const name of PROFILE_FIELDS) body[name] = form.elements.namedItem(name).value.trim();
  showMessage($('#profile-message'), '');
  await act($('#profile-submit'), async () => {
    try {
      const profile = await api('PUT', '/profile', body);
      renderProfile(profile);
      showMessage($('#profile-message'), profile.location
        ? `저장했습니다. 위치: ${profile.location.address}`
        : '저장했습니다.', 'ok');
    } catch (error) {
      // What was typed stays, with the reason next to it.
      if (error.status !== 401) showMessage($('#profile-message'), error.message);
      else throw error;
    }
  });
}

// ---- business day --------------------------------------------------------------------------

async function loadDay(background) {
  try {
    app.day = await api('GET', '/day', undefined, { background });
    renderDay();
  } catch (error) {
    if (error.status !== 401) showMessage($('#day-message'), error.message);
  }
}

function renderDay() {
  const day = app.day;
  const state = $('#day-state');
  state.textContent = STATE_LABELS[day.state] || day.state;
  state.dataset.state = day.state;

  const times = [
    ['준비 시작', day.prepared_at],
    ['영업 시작', day.opened_at],
    ['마감 시작', day.closing_at],
    ['마감 가능', day.state === 'closing' ? day.close_possible_at : null],
    ['마감', day.closed_at],
  ].filter(([, at]) => at);
  $('#day-times').replaceChildren(...times.flatMap(([label, at]) => [
    el('dt', { text: label }), el('dd', { text: clock(at) }),
  ]));

  const actions = $('#day-actions');
  actions.replaceChildren(...day.allowed_actions.map((action) => el('button', {
    type: 'button',
    class: action === 'close' || action === 'start_closing' ? 'warn' : '',
    dataset: { dayAction: action },
    text: ACTION_LABELS[action] || action,
    onclick: (event) => transitionDay(event.currentTarget, action),
  })));
  if (day.allowed_actions.length === 0) {
    actions.append(el('p', { class: 'muted', text: '지금 할 수 있는 작업이 없습니다.' }));
  }
}

async function transitionDay(button, action) {
  showMessage($('#day-message'), '');
  button.disabled = true;
  try {
    app.day = await api('POST', '/day', { action });
    renderDay();
    notify(`${ACTION_LABELS[action]}: 현재 상태 ${STATE_LABELS[app.day.state]}`);
  } catch (error) {
    if (error.status === 401) return;
    let message = error.message;
    if (error.body && error.body.possible_at) message += ` (가능 시각: ${clock(error.body.possible_at)})`;
    showMessage($('#day-message'), message);
    loadDay(true);
  } finally {
    button.disabled = false;
  }
}

// ---- menu ----------------------------------------------------------------------------------

async function loadMenu() {
  try {
    app.menu = await api('GET', '/menu');
    renderMenu();
  } catch (error) {
    if (error.status !== 401) notify(error.message, 'error');
  }
}

// One menu edit, then the menu is reloaded so the page shows exactly what was stored.
async function edit(button, method, path, body, done) {
  return act(button, async () => {
    await api(method, path, body);
    await loadMenu();
    if (done) notify(done);
  });
}

function moved(list, index, delta) {
  const copy = list.slice();
  const [entry] = copy.splice(index, 1);
  copy.splice(index + delta, 0, entry);
  return copy;
}

function badges(entry) {
  return [
    entry.sold_out ? el('span', { class: 'badge sold-out', text: '품절' }) : null,
    entry.disabled ? el('span', { class: 'badge disabled', text: '숨김' }) : null,
  ];
}

function upDown(list, index, save) {
  return [
    el('button', {
      type: 'button', class: 'icon', title: '위로', 'aria-label': '위로', text: '▲',
      disabled: index === 0,
      onclick: (event) => save(event.currentTarget, moved(list, index, -1)),
    }),
    el('button', {
      type: 'button', class: 'icon', title: '아래로', 'aria-label': '아래로', text: '▼',
      disabled: index === list.length - 1,
      onclick: (event) => save(event.currentTarget, moved(list, index, 1)),
    }),
  ];
}

function renderMenu() {
  const menu = app.menu;
  const items = new Map(menu.items.map((item) => [item.id, item]));
  const selections = new Map(menu.selections.map((s) => [s.id, s]));
  const options = new Map(menu.options.map((o) => [o.id, o]));
  const root = $('#menu-content');
  root.replaceChildren();

  const categoryIds = menu.categories.map((c) => c.id);
  menu.categories.forEach((category, index) => {
    const saveOrder = (button, ids) => edit(button, 'PUT', '/menu/category-order', { category_ids: ids });
    const saveItems = (button, ids) => edit(button, 'PUT', `/menu/categories/${category.id}/items`, { item_ids: ids });
    const rows = category.item_ids
      .filter((id) => items.has(id))
      .map((id, i, list) => itemRow(items.get(id), selections, el('span', { class: 'order' }, upDown(list, i, saveItems))));
    root.append(el('section', { class: 'card category', dataset: { categoryId: category.id } },
      el('div', { class: 'row head' },
        el('h3', { text: category.name }),
        el('div', { class: 'row-buttons', 'data-admin': true },
          upDown(categoryIds, index, saveOrder),
          el('button', {
            type: 'button', class: 'secondary', text: '이름 변경',
            onclick: () => renameCategory(category),
          }))),
      rows.length ? el('ul', { class: 'rows' }, rows) : el('p', { class: 'muted', text: '이 카테고리에 메뉴가 없습니다.' })));
  });

  const placed = new Set(menu.categories.flatMap((c) => c.item_ids));
  const loose = menu.items.filter((item) => !placed.has(item.id));
  if (loose.length) {
    root.append(el('section', { class: 'card category' },
      el('h3', { text: '카테고리 없는 메뉴' }),
      el('ul', { class: 'rows' }, loose.map((item) => itemRow(item, selections, null)))));
  }
  if (menu.items.length === 0 && menu.categories.length === 0) {
    root.append(el('p', { class: 'card muted', text: '아직 메뉴가 없습니다. 카테고리와 메뉴를 추가해 주세요.' }));
  }

  root.append(el('h2', { class: 'section-title', text: '옵션 그룹' }));
  if (menu.selections.length === 0) {
    root.append(el('p', { class: 'card muted', text: '옵션 그룹이 없습니다. 예: ‘사이즈’(최소 1, 최대 1), ‘샷 추가’(최소 0, 최대 3).' }));
  }
  for (const selection of menu.selections) root.append(selectionCard(selection, options));
}

function itemRow(item, selections, order) {
  const groups = item.selection_ids.filter((id) => selections.has(id)).map((id) => selections.get(id).name);
  return el('li', { class: `item-row${item.disabled ? ' is-disabled' : ''}`, dataset: { itemId: item.id } },
    el('div', { class: 'main' },
      el('span', { class: 'name', text: item.name }),
      el('span', { class: 'price', text: won(item.price) }),
      badges(item),
      groups.length ? el('span', { class: 'groups', text: `옵션: ${groups.join(', ')}` }) : null),
    el('div', { class: 'row-buttons', 'data-admin': true },
      order,
      el('button', {
        type: 'button', class: 'secondary', text: item.sold_out ? '판매 재개' : '품절',
        dataset: { toggle: 'sold-out' },
        onclick: (event) => edit(event.currentTarget, 'PUT', `/menu/items/${item.id}/sold-out`,
          { sold_out: !item.sold_out }, item.sold_out ? `${item.name} 판매를 재개했습니다.` : `${item.name}을(를) 품절로 표시했습니다.`),
      }),
      el('button', {
        type: 'button', class: 'secondary', text: item.disabled ? '다시 표시' : '숨기기',
        dataset: { toggle: 'disabled' },
        onclick: (event) => edit(event.currentTarget, 'PUT', `/menu/items/${item.id}/disabled`,
          { disabled: !item.disabled }),
      }),
      el('button', { type: 'button', text: '수정', onclick: () => itemDialog(item) })));
}

function selectionCard(selection, options) {
  const saveOptions = (button, ids) => edit(button, 'PUT', `/menu/selections/${selection.id}/options`, { option_ids: ids });
  const list = selection.option_ids.filter((id) => options.has(id));
  const rows = list.map((id, index) => {
    const option = options.get(id);
    return el('li', { class: `option-row${option.disabled ? ' is-disabled' : ''}`, dataset: { optionId: option.id } },
      el('div', { class: 'main' },
        el('span', { class: 'name', text: option.name }),
        el('span', { class: 'price', text: option.price ? `+${won(option.price)}` : '추가 금액 없음' }),
        badges(option)),
      el('div', { class: 'row-buttons', 'data-admin': true },
        upDown(list, index, saveOptions),
        el('button', {
          type: 'button', class: 'secondary', text: option.sold_out ? '판매 재개' : '품절',
          onclick: (event) => edit(event.currentTarget, 'PUT', `/menu/options/${option.id}/sold-out`, { sold_out: !option.sold_out }),
        }),
        el('button', {
          type: 'button', class: 'secondary', text: option.disabled ? '다시 표시' : '숨기기',
          onclick: (event) => edit(event.currentTarget, 'PUT', `/menu/options/${option.id}/disabled`, { disabled: !option.disabled }),
        }),
        el('button', { type: 'button', text: '수정', onclick: () => optionDialog(option) })));
  });

  const addOption = el('form', { class: 'inline-form', 'data-admin': true },
    el('input', { name: 'option-name', placeholder: '옵션 이름', 'aria-label': '옵션 이름', required: true, maxlength: 60 }),
    el('input', {
      name: 'option-price', type: 'number', min: 0, step: 100, value: 0, 'aria-label': '추가 금액(원)', class: 'price-input',
    }),
    el('button', { type: 'submit', text: '옵션 추가' }));
  addOption.addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    edit($('button', form), 'POST', '/menu/options', {
      name: form.elements.namedItem('option-name').value.trim(),
      price: Number(form.elements.namedItem('option-price').value || 0),
      selection_ids: [selection.id],
    }, '옵션을 추가했습니다.').then((done) => { if (done) form.reset(); });
  });

  const rule = selection.min === 0
    ? `선택 안 해도 됨 · 최대 ${selection.max}개`
    : `최소 ${selection.min}개 · 최대 ${selection.max}개`;
  return el('section', { class: 'card selection', dataset: { selectionId: selection.id } },
    el('div', { class: 'row head' },
      el('h3', { text: selection.name }),
      el('span', { class: 'rule', text: rule }),
      el('div', { class: 'row-buttons', 'data-admin': true },
        el('button', { type: 'button', class: 'secondary', text: '그룹 수정', onclick: () => selectionDialog(selection) }))),
    rows.length ? el('ul', { class: 'rows' }, rows) : el('p', { class: 'muted', text: '옵션이 없습니다.' }),
    addOption);
}

// ---- dialogs -------------------------------------------------------------------------------

// A modal form. `save(values)` runs on submit; if it throws, the message shows in the dialog and
// what was typed stays.
function formDialog({ title, fields, submitLabel = '저장', save }) {
  const dialog = $('#form-dialog');
  const form = $('#form-dialog-form');
  $('#form-dialog-title').textContent = title;
  $('#form-dialog-submit').textContent = submitLabel;
  showMessage($('#form-dialog-message'), '');
  $('#form-dialog-fields').replaceChildren(...fields.map((field) => {
    if (field.type === 'checks') {
      return el('fieldset', { class: 'checks', dataset: { field: field.name } },
        el('legend', { text: field.label }),
        field.choices.length
          ? field.choices.map((choice) => el('label', { class: 'check' },
            el('input', { type: 'checkbox', name: field.name, value: choice.value, checked: choice.checked }),
            ` ${choice.label}`))
          : el('p', { class: 'muted small', text: field.empty }));
    }
    const input = field.type === 'textarea'
      ? el('textarea', { name: field.name, rows: 2, maxlength: field.maxlength })
      : el('input', {
        name: field.name,
        type: field.type || 'text',
        required: field.required,
        min: field.min,
        step: field.step,
        maxlength: field.maxlength,
      });
    input.value = field.value === undefined ? '' : field.value;
    return el('label', {}, field.label, input);
  }));

  form.onsubmit = async (event) => {
    event.preventDefault();
    const values = {};
    for (const field of fields) {
      if (field.type === 'checks') {
        values[field.name] = [...form.querySelectorAll(`input[name="${field.name}"]:checked`)].map((i) => i.value);
      } else if (field.type === 'number') {
        values[field.name] = Number(form.elements.namedItem(field.name).value || 0);
      } else {
        values[field.name] = form.elements.namedItem(field.name).value.trim();
      }
    }
    const submit = $('#form-dialog-submit');
    submit.disabled = true;
    try {
      await save(values);
      dialog.close();
      await loadMenu();
    } catch (error) {
      if (error.status !== 401) showMessage($('#form-dialog-message'), error.message);
      else dialog.close();
    } finally {
      submit.disabled = false;
    }
  };
  dialog.showModal();
  const first = $('input, textarea', form);
  if (first) first.focus();
}

function renameCategory(category) {
  formDialog({
    title: '카테고리 이름 변경',
    fields: [{ name: 'name', label: '이름', value: category.name, required: true, maxlength: 60 }],
    save: (v) => api('PUT', `/menu/categories/${category.id}`, { name: v.name }),
  });
}

function itemDialog(item) {
  const menu = app.menu;
  const inCategories = new Set(item
    ? menu.categories.filter((c) => c.item_ids.includes(item.id)).map((c) => c.id)
    : menu.categories.slice(0, 1).map((c) => c.id));
  const current = item ? item.selection_ids : [];
  const ordered = [...current, ...menu.selections.map((s) => s.id).filter((id) => !current.includes(id))];
  const names = new Map(menu.selections.map((s) => [s.id, s]));
  formDialog({
    title: item ? '메뉴 수정' : '메뉴 추가',
    submitLabel: item ? '저장' : '추가',
    fields: [
      { name: 'name', label: '메뉴 이름', value: item ? item.name : '', required: true, maxlength: 60 },
      { name: 'price', label: '가격(원)', type: 'number', min: 0, step: 100, value: item ? item.price : 0, required: true },
      { name: 'description', label: '설명', type: 'textarea', value: item ? item.description : '', maxlength: 200 },
      {
        name: 'categories', label: '카테고리', type: 'checks', empty: '카테고리가 없습니다. 먼저 추가해 주세요.',
        choices: menu.categories.map((c) => ({ value: c.id, label: c.name, checked: inCategories.has(c.id) })),
      },
      {
        name: 'selections', label: '옵션 그룹', type: 'checks', empty: '옵션 그룹이 없습니다.',
        choices: ordered.filter((id) => names.has(id)).map((id) => {
          const s = names.get(id);
          return { value: id, label: `${s.name} (최소 ${s.min}, 최대 ${s.max})`, checked: current.includes(id) };
        }),
      },
    ],
    save: async (v) => {
      const body = {
        name: v.name, price: v.price, description: v.description, image_url: item ? item.image_url : '',
      };
      let id;
      if (item) {
        id = item.id;
        await api('PUT', `/menu/items/${id}`, body);
        for (const category of menu.categories) {
          const was = category.item_ids.includes(id);
          const now = v.categories.includes(category.id);
          if (was === now) continue;
          const ids = now ? [...category.item_ids, id] : category.item_ids.filter((x) => x !== id);
          await api('PUT', `/menu/categories/${category.id}/items`, { item_ids: ids });
        }
      } else {
        id = (await api('POST', '/menu/items', { ...body, category_ids: v.categories })).id;
      }
      const changed = v.selections.length !== current.length || v.selections.some((s, i) => s !== current[i]);
      if (changed) await api('PUT', `/menu/items/${id}/selections`, { selection_ids: v.selections });
      notify(item ? '메뉴를 저장했습니다.' : `${v.name}을(를) 추가했습니다.`);
    },
  });
}

function selectionDialog(selection) {
  formDialog({
    title: selection ? '옵션 그룹 수정' : '옵션 그룹 추가',
    submitLabel: selection ? '저장' : '추가',
    fields: [
      { name: 'name', label: '그룹 이름 (예: 사이즈, 샷 추가)', value: selection ? selection.name : '', required: true, maxlength: 60 },
      { name: 'min', label: '최소 선택 수 (0이면 선택 안 해도 됨)', type: 'number', min: 0, step: 1, value: selection ? selection.min : 0 },
      { name: 'max', label: '최대 선택 수', type: 'number', min: 1, step: 1, value: selection ? selection.max : 1 },
    ],
    save: async (v) => {
      if (v.min > v.max) throw new ApiError(400, { error: 'invalid_argument', message: '최소 선택 수는 최대 선택 수보다 클 수 없습니다.' });
      const body = { name: v.name, min: v.min, max: v.max };
      if (selection) await api('PUT', `/menu/selections/${selection.id}`, body);
      else await api('POST', '/menu/selections', body);
      notify(selection ? '옵션 그룹을 저장했습니다.' : '옵션 그룹을 추가했습니다. 아래에서 옵션을 추가해 주세요.');
    },
  });
}

function optionDialog(option) {
  formDialog({
    title: '옵션 수정',
    fields: [
      { name: 'name', label: '옵션 이름', value: option.name, required: true, maxlength: 60 },
      { name: 'price', label: '추가 금액(원)', type: 'number', min: 0, step: 100, value: option.price },
    ],
    save: (v) => api('PUT', `/menu/options/${option.id}`, { name: v.name, price: v.price }),
  });
}

// ---- start ---------------------------------------------------------------------------------

async function start() {
  $('#login-form').addEventListener('submit', login);
  $('#logout-btn').addEventListener('click', logout);
  $('#viewer-link-btn').addEventListener('click', openViewerLink);
  $('#viewer-link-copy').addEventListener('click', copyViewerLink);
  $('#viewer-dialog-close').addEventListener('click', () => $('#viewer-dialog').close());
  $('#form-dialog-cancel').addEventListener('click', () => $('#form-dialog').close());
  for (const button of document.querySelectorAll('[data-tab]')) {
    button.addEventListener('click', () => selectTab(button.dataset.tab));
  }
  $('#category-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const name = form.elements.namedItem('name').value.trim();
    edit($('button', form), 'POST', '/menu/categories', { name }, `카테고리 ‘${name}’을(를) 추가했습니다.`)
      .then((done) => { if (done) form.reset(); });
  });
  $('#profile-form').addEventListener('submit', saveProfile);
  $('#add-item').addEventListener('click', () => itemDialog(null));
  $('#add-selection').addEventListener('click', () => selectionDialog(null));

  const viewerCode = new URLSearchParams(location.hash.slice(1)).get('viewer');
  if (viewerCode) {
    await joinAsViewer(viewerCode);
    return;
  }
  try {
    startApp(await api('GET', '/me'));
  } catch (error) {
    // Not signed in is the normal start; anything else (expired, replaced, down) is said.
    showLogin(error.code === 'unauthenticated' ? '' : error.message);
  }
}

document.addEventListener('DOMContentLoaded', start);
