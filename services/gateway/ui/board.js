// The live order board (주문 현황). A WebSocket to /api/store/live replays the business day and
// then follows it; orders show with their nickname, items, options, time since payment and total,
// apart as new (신규), in progress (진행 중, with the promised time), done and canceled; late ones
// are marked. New orders beep and badge the page title; 접수 (with 5/10/15/20 minutes or the
// store's default), 완료 and 취소 act on an order (admins only), and the store's default time,
// 바쁨 and auto-accept are set above the board. 인쇄 prints an order's ticket for an 80 mm receipt
// printer (only the ticket: board.css's print rules), and 새 주문 자동 인쇄 prints each new order's
// ticket as it arrives, for a browser started with --kiosk-printing. The
// socket reconnects by itself, resuming after the last entry seen, and a banner says when the
// board is offline. Uses app.js's helpers (api, el, won, orderNumber, notify, signedOut, app):
// loaded after it.
'use strict';

(() => {
  const RECONNECT_MIN_MS = 1000;
  const RECONNECT_MAX_MS = 30000;
  // Heartbeats come every 15 s: this long without any message means the connection is dead.
  const SILENCE_MS = 40000;
  const CLOCK_MS = 15000;
  const FRESH_MS = 10000;
  // A new order not accepted this long after payment is shown as late; an accepted one is late
  // once its promised time has passed.
  const LATE_MINUTES = 5;
  const QUICK_MINUTES = [5, 10, 15, 20];
  const MAX_REASON = 100;
  // A new order's ticket waits this long before it prints, so that an order the store accepts
  // automatically (its acceptance follows in the same instant) prints with its promised time.
  const PRINT_SETTLE_MS = 500;
  const AUTO_PRINT_KEY = 'simpleorder.board.autoPrint';
  const MM_PER_PX = 25.4 / 96;
  const BASE_TITLE = document.title;
  const FILTERS = {
    placed: { label: '신규', empty: '새 주문이 없습니다.' },
    accepted: { label: '진행 중', empty: '준비 중인 주문이 없습니다.' },
    ready: { label: '완료', empty: '완료한 주문이 없습니다.' },
    canceled: { label: '취소', empty: '취소한 주문이 없습니다.' },
  };

  const board = {
    running: false,
    socket: null,
    // Where to resume: the last stream entry seen, on which business day.
    lastId: null,
    dayId: null,
    // The day stream's `opened` entry id: a new one means the stream was rebuilt.
    streamId: null,
    dayOpen: false,
    orders: new Map(),
    filter: 'placed',
    // The first replay after the page loads is history: it makes no sound.
    caughtUpOnce: false,
    unseen: 0,
    fresh: new Set(),
    attempts: 0,
    expectClose: false,
    retryTimer: null,
    silenceTimer: null,
    clockTimer: null,
    // Server clock minus this device's clock, so waiting times are right on a wrong clock.
    offsetMs: 0,
    audio: null,
    lastBeep: 0,
    renderQueued: false,
    // Every order this page has shown: a replay after a rebuilt stream announces (and prints)
    // none of them again.
    seen: new Set(),
    printQueue: [],
    printTimer: null,
    // How the store accepts: { prep_minutes, busy, auto_accept, default_minutes }.
    settings: null,
  };

  const $ = (selector, root = document) => root.querySelector(selector);

  // ---- time ----------------------------------------------------------------------------------

  function now() {
    return Date.now() + board.offsetMs;
  }

  function syncClock(serverTime) {
    const at = Date.parse(serverTime);
    if (!Number.isNaN(at)) board.offsetMs = at - Date.now();
  }

  function waited(iso) {
    const at = Date.parse(iso);
    if (Number.isNaN(at)) return '';
    const minutes = Math.max(0, Math.floor((now() - at) / 60000));
    if (minutes < 1) return '방금';
    if (minutes < 60) return `${minutes}분 전`;
    return `${Math.floor(minutes / 60)}시간 ${minutes % 60}분 전`;
  }

  function isLate(order) {
    if (order.status === 'accepted') {
      const promised = Date.parse(order.promised_at);
      return !Number.isNaN(promised) && now() > promised;
    }
    const at = Date.parse(order.placed_at);
    return order.status === 'placed' && !Number.isNaN(at) && now() - at > LATE_MINUTES * 60000;
  }

  function untilPromised(order) {
    const promised = Date.parse(order.promised_at);
    if (Number.isNaN(promised)) return '';
    const minutes = Math.round((promised - now()) / 60000);
    if (minutes > 0) return `약속 ${timeOfDay(order.promised_at)} · ${minutes}분 남음`;
    if (minutes === 0) return `약속 ${timeOfDay(order.promised_at)} · 곧`;
    return `약속 ${timeOfDay(order.promised_at)} · ${-minutes}분 늦음`;
  }

  function timeOfDay(iso) {
    if (!iso) return '';
    return new Date(iso).toLocaleTimeString('ko-KR', { hour: '2-digit', minute: '2-digit' });
  }

  // A ticket states Korean time whatever the printing device's clock is set to.
  const KST = new Intl.DateTimeFormat('en-US', {
    timeZone: 'Asia/Seoul', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  });

  function kst(iso) {
    const at = Date.parse(iso || '');
    if (Number.isNaN(at)) return null;
    const part = Object.fromEntries(KST.formatToParts(at).map((p) => [p.type, p.value]));
    return { date: `${part.month}월 ${part.day}일`, time: `${part.hour}:${part.minute}` };
  }

  // ---- sound and title -----------------------------------------------------------------------

  // Browsers let a page make sound only after a tap or key press, so the audio context is made
  // on the first one.
  function unlockAudio() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    if (!board.audio) board.audio = new Context();
    if (board.audio.state === 'suspended') board.audio.resume().catch(() => {});
    renderSoundHint();
  }

  function beep() {
    const sound = $('#board-sound');
    if (!sound || !sound.checked || !board.audio) return;
    // A burst of orders (or a replay after a reconnect) rings once.
    if (Date.now() - board.lastBeep < 1500) return;
    board.lastBeep = Date.now();
    const ctx = board.audio;
    if (ctx.state === 'suspended') ctx.resume().catch(() => {});
    const start = ctx.currentTime;
    [[880, 0], [1320, 0.2]].forEach(([frequency, offset]) => {
      const tone = ctx.createOscillator();
      const gain = ctx.createGain();
      tone.type = 'sine';
      tone.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.4, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.18);
      tone.connect(gain).connect(ctx.destination);
      tone.start(start + offset);
      tone.stop(start + offset + 0.2);
    });
  }

  function watching() {
    return app.tab === 'board' && !document.hidden && document.hasFocus();
  }

  function renderTitle() {
    if (board.unseen > 0 && watching()) board.unseen = 0;
    document.title = board.unseen > 0 ? `(${board.unseen}) ${BASE_TITLE}` : BASE_TITLE;
  }

  function renderSoundHint() {
    const hint = $('#board-sound-hint');
    if (hint) hint.hidden = Boolean(board.audio && board.audio.state === 'running');
  }

  // ---- orders --------------------------------------------------------------------------------

  function announce(order) {
    if (autoPrinting()) queueTicket(order.order_id);
    board.unseen += 1;
    board.fresh.add(order.order_id);
    setTimeout(() => {
      board.fresh.delete(order.order_id);
      scheduleRender();
    }, FRESH_MS);
    beep();
  }

  const RANK = { placed: 0, accepted: 1, ready: 2, canceled: 2 };

  // Entries can arrive twice across two sockets' replays: each applies idempotently, and an
  // order never goes back (an `accepted` entry replayed after `ready` changes nothing).
  function apply(message) {
    const incoming = message.order;
    const known = board.orders.get(incoming.order_id);
    if (message.kind === 'placed') {
      if (known) return;
      board.orders.set(incoming.order_id, { ...incoming });
      const firstSight = !board.seen.has(incoming.order_id);
      board.seen.add(incoming.order_id);
      if (board.caughtUpOnce && firstSight) announce(incoming);
      return;
    }
    if (known && RANK[incoming.status] < RANK[known.status]) {
      board.orders.set(incoming.order_id, { ...incoming, ...known });
      return;
    }
    board.orders.set(incoming.order_id, { ...(known || { lines: [] }), ...incoming });
  }

  function clearOrders() {
    board.orders.clear();
    board.fresh.clear();
    board.unseen = 0;
  }

  // ---- the socket ----------------------------------------------------------------------------

  function liveUrl() {
    const params = new URLSearchParams();
    if (board.lastId) params.set('after', board.lastId);
    if (board.dayId) params.set('day', board.dayId);
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const query = params.toString();
    return `${scheme}//${location.host}/api/store/live${query ? `?${query}` : ''}`;
  }

  function connect() {
    clearTimeout(board.retryTimer);
    if (!board.running || board.socket) return;
    const socket = new WebSocket(liveUrl());
    board.socket = socket;
    let greeted = false;
    socket.onmessage = (event) => {
      if (board.socket !== socket) return;
      watchSilence();
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (_) {
        return;
      }
      if (message.kind === 'hello') greeted = true;
      receive(message);
    };
    socket.onclose = () => {
      if (board.socket === socket) dropped(greeted);
    };
    watchSilence();
  }

  function receive(message) {
    switch (message.kind) {
      case 'hello':
        syncClock(message.server_time);
        if (message.day_business_id !== board.dayId || message.stream_id !== board.streamId) {
          // Another business day (or none), or the day's stream rebuilt from the database after
          // a data loss: the replay that follows brings the whole board again.
          clearOrders();
          board.lastId = null;
        }
        board.dayId = message.day_business_id;
        board.streamId = message.stream_id;
        board.dayOpen = Boolean(message.day_business_id);
        showNotice('');
        // Without a day there is no replay to wait for: this connection is as good as it gets.
        if (!board.dayOpen) connected();
        break;
      case 'placed':
      case 'accepted':
      case 'ready':
      case 'canceled':
        apply(message);
        board.lastId = message.id;
        break;
      case 'caught_up':
        if (message.id) board.lastId = message.id;
        board.caughtUpOnce = true;
        connected();
        break;
      case 'heartbeat':
        syncClock(message.server_time);
        return;
      case 'day_changed':
      case 'reload':
        // The server closes next; reconnecting at once loads the new day.
        board.attempts = 0;
        board.expectClose = true;
        break;
      case 'signed_out':
        stop();
        signedOut(message.message);
        return;
      case 'error':
        showNotice(message.message);
        return;
      default:
        return;
    }
    scheduleRender();
  }

  // Only a connection that got this far resets the backoff: one the server accepts and then
  // closes at once (its Redis down) must not be retried in a tight loop.
  function connected() {
    board.attempts = 0;
    showOffline(false);
  }

  function dropped(greeted) {
    clearTimeout(board.silenceTimer);
    board.socket = null;
    if (!board.running) return;
    const expected = board.expectClose;
    board.expectClose = false;
    if (!expected) showOffline(true);
    // A refused handshake looks the same as a network failure to the page: ask whether the
    // session still holds (a 401 signs the page out, which stops the board).
    if (!greeted) api('GET', '/me', undefined, { background: true }).catch(() => {});
    const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** board.attempts);
    // Spread out, so the boards of a restarted gateway do not all come back at once.
    const wait = board.attempts === 0 ? 200 + Math.random() * 500 : ceiling / 2 + Math.random() * (ceiling / 2);
    board.attempts = Math.min(board.attempts + 1, 10);
    board.retryTimer = setTimeout(connect, wait);
  }

  function watchSilence() {
    clearTimeout(board.silenceTimer);
    board.silenceTimer = setTimeout(() => {
      const socket = board.socket;
      if (!socket) return;
      // A dead connection may take minutes to report its close: give up on it now.
      board.socket = null;
      socket.onclose = null;
      socket.onmessage = null;
      socket.close();
      dropped(true);
    }, SILENCE_MS);
  }

  function reconnectNow() {
    if (!board.running || board.socket) return;
    board.attempts = 0;
    connect();
  }

  function start() {
    if (board.running) return;
    board.running = true;
    board.attempts = 0;
    board.expectClose = false;
    board.caughtUpOnce = false;
    board.clockTimer = setInterval(() => {
      renderClocks();
      renderTitle();
    }, CLOCK_MS);
    scheduleRender();
    loadSettings();
    connect();
  }

  // Signed out: a different store may sign in next, so nothing of this one stays.
  function stop() {
    board.running = false;
    clearTimeout(board.retryTimer);
    clearTimeout(board.silenceTimer);
    clearInterval(board.clockTimer);
    const socket = board.socket;
    board.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.close();
    }
    clearOrders();
    board.seen.clear();
    clearTimeout(board.printTimer);
    board.printTimer = null;
    board.printQueue = [];
    board.lastId = null;
    board.dayId = null;
    showOffline(false);
    showNotice('');
    renderTitle();
    scheduleRender();
  }

  // ---- actions -------------------------------------------------------------------------------

  async function accept(button, order, minutes) {
    await act(button, async () => {
      const body = minutes ? { minutes } : {};
      const result = await api('POST', `/orders/${order.order_id}/accept`, body);
      apply({ kind: 'accepted', order: result.order });
      scheduleRender();
      notify(`${order.nickname} 주문을 접수했습니다 (${result.order.prep_minutes}분).`);
    });
  }

  async function loadSettings() {
    try {
      board.settings = await api('GET', '/accept-settings', undefined, { background: true });
    } catch (_) {
      return;
    }
    renderSettings();
    scheduleRender();
  }

  async function saveSettings() {
    const prep = Number($('#board-prep').value);
    const body = {
      prep_minutes: prep,
      busy: $('#board-busy').checked,
      auto_accept: $('#board-auto').checked,
    };
    try {
      board.settings = await api('PUT', '/accept-settings', body);
      notify(`기본 준비 시간 ${board.settings.default_minutes}분${board.settings.auto_accept ? ' · 자동 접수' : ''}`);
    } catch (error) {
      showNotice(error.message);
    }
    renderSettings();
    scheduleRender();
  }

  function renderSettings() {
    const s = board.settings;
    if (!s) return;
    $('#board-prep').value = String(s.prep_minutes);
    $('#board-busy').checked = s.busy;
    $('#board-auto').checked = s.auto_accept;
    $('#board-accept-default').textContent = `지금 기본 ${s.default_minutes}분`;
  }

  async function markReady(button, order) {
    await act(button, async () => {
      const result = await api('POST', `/orders/${order.order_id}/ready`);
      apply({ kind: 'ready', order: result.order });
      scheduleRender();
      notify(`${order.nickname} 주문을 완료로 표시했습니다.`);
    });
  }

  function openCancel(order) {
    const dialog = $('#board-cancel-dialog');
    const form = $('form', dialog);
    $('#board-cancel-summary').textContent = `${order.nickname} · ${won(order.total || 0)}`;
    $('#board-cancel-refund').textContent = order.total
      ? `결제 금액 ${won(order.total)}이 고객에게 전액 환불됩니다. 되돌릴 수 없습니다.`
      : '결제 금액이 고객에게 전액 환불됩니다. 되돌릴 수 없습니다.';
    form.reset();
    showMessage($('#board-cancel-message'), '');
    form.onsubmit = async (event) => {
      event.preventDefault();
      const reason = form.elements.namedItem('reason').value.trim();
      if (!reason) {
        showMessage($('#board-cancel-message'), '취소 사유를 입력해 주세요.');
        return;
      }
      const submit = $('#board-cancel-submit');
      submit.disabled = true;
      try {
        const result = await api('POST', `/orders/${order.order_id}/cancel`, { reason });
        apply({ kind: 'canceled', order: result.order });
        scheduleRender();
        dialog.close();
        notify(`${order.nickname} 주문을 취소하고 환불했습니다.`);
      } catch (error) {
        if (error.status === 401) dialog.close();
        else showMessage($('#board-cancel-message'), error.message);
      } finally {
        submit.disabled = false;
      }
    };
    dialog.showModal();
    form.elements.namedItem('reason').focus();
  }

  // ---- tickets -------------------------------------------------------------------------------

  // One order's ticket for an 80 mm receipt printer: what the barista needs on the cup.
  function ticketView(order) {
    const paid = kst(order.placed_at);
    const promised = kst(order.promised_at);
    let pickup = null;
    if (promised) pickup = `픽업 예정 ${promised.time}`;
    else if (order.status === 'placed') pickup = '픽업 시간: 접수 전';
    return el('article', { class: 'ticket', dataset: { orderId: order.order_id } },
      el('p', { class: 'ticket-store', text: app.me ? app.me.store_name || app.me.login : '' }),
      el('p', { class: 'ticket-nickname', text: order.nickname }),
      el('p', { class: 'ticket-number', text: `주문번호 ${orderNumber(order.order_id)}` }),
      el('ul', { class: 'ticket-lines' }, (order.lines || []).map((line) => el('li', {},
        el('span', { class: 'ticket-item', text: `${line.item_name} × ${line.quantity}` }),
        (line.options || []).map((o) => el('span', {
          class: 'ticket-option', text: o.selection_name ? `${o.selection_name}: ${o.name}` : o.name,
        }))))),
      el('p', { class: 'ticket-time', text: paid ? `결제 ${paid.date} ${paid.time}` : '결제 -' }),
      pickup ? el('p', { class: 'ticket-time ticket-pickup', text: pickup }) : null);
  }

  // board.css's `@page ticket` is 80 mm wide; its height is set to this ticket's, so a roll
  // printer feeds and cuts exactly one ticket.
  function fitPage(ticket) {
    // A millimetre to spare: a page a rounding shorter than the ticket would add a blank one.
    const height = Math.ceil(ticket.getBoundingClientRect().height * MM_PER_PX) + 1;
    for (const sheet of document.styleSheets) {
      for (const rule of sheet.cssRules) {
        if (rule instanceof CSSPageRule && rule.selectorText === 'ticket') {
          rule.style.setProperty('size', `80mm ${height}mm`);
          return;
        }
      }
    }
  }

  // The browser prints the page with everything but #ticket hidden (board.css) until the print
  // is over.
  function printTicket(order) {
    const ticket = $('#ticket');
    ticket.replaceChildren(ticketView(order));
    fitPage(ticket);
    document.body.classList.add('printing-ticket');
    window.print();
  }

  function autoPrinting() {
    const box = $('#board-autoprint');
    return Boolean(box && box.checked);
  }

  function queueTicket(orderId) {
    board.printQueue.push(orderId);
    if (!board.printTimer) board.printTimer = setTimeout(printQueued, PRINT_SETTLE_MS);
  }

  // window.print() returns once the page is printed (at once in kiosk-printing mode), so the
  // tickets go one after another.
  function printQueued() {
    board.printTimer = null;
    for (const orderId of board.printQueue.splice(0)) {
      const order = board.orders.get(orderId);
      if (order && order.status !== 'canceled') printTicket(order);
    }
  }

  // ---- rendering -----------------------------------------------------------------------------

  function scheduleRender() {
    if (board.renderQueued) return;
    board.renderQueued = true;
    requestAnimationFrame(() => {
      board.renderQueued = false;
      render();
    });
  }

  function byStatus(status) {
    const list = [...board.orders.values()].filter((o) => o.status === status);
    const at = (o) => Date.parse(o.placed_at || o.ready_at || o.canceled_at || '') || 0;
    // Waiting: the longest wait first. Done and canceled: the latest first.
    const promised = (o) => Date.parse(o.promised_at || '') || at(o);
    if (status === 'placed') list.sort((a, b) => at(a) - at(b));
    // In progress: the earliest promise first.
    else if (status === 'accepted') list.sort((a, b) => promised(a) - promised(b));
    else list.sort((a, b) => at(b) - at(a));
    return list;
  }

  function lineView(line) {
    const options = (line.options || []).map((o) => (o.selection_name ? `${o.selection_name}: ${o.name}` : o.name));
    return el('li', { class: 'board-line' },
      el('span', { class: 'board-item', text: `${line.item_name} × ${line.quantity}` }),
      options.length ? el('span', { class: 'board-options', text: options.join(' · ') }) : null);
  }

  function card(order) {
    const classes = ['order-card', `is-${order.status}`];
    if (board.fresh.has(order.order_id)) classes.push('is-fresh');
    if (isLate(order)) classes.push('is-late');
    const lines = order.lines || [];
    let state = null;
    if (order.status === 'accepted') {
      state = el('p', { class: 'board-state board-promise', dataset: { promisedAt: order.promised_at || '' }, text: untilPromised(order) });
    }
    if (order.status === 'ready') state = el('p', { class: 'board-state', text: `완료 ${timeOfDay(order.ready_at)}` });
    if (order.status === 'canceled') {
      const refund = order.refunded_amount ? ` · 환불 ${won(order.refunded_amount)}` : '';
      const who = order.canceled_by_customer ? '고객 취소' : '취소';
      state = el('p', { class: 'board-state', text: `${who} ${timeOfDay(order.canceled_at)} · 사유: ${order.cancel_reason || '-'}${refund}` });
    }
    const cancel = el('button', {
      type: 'button', class: 'warn', text: '취소', dataset: { boardAction: 'cancel' },
      onclick: () => openCancel(order),
    });
    let buttons = null;
    if (order.status === 'placed') {
      const fallback = board.settings ? board.settings.default_minutes : null;
      buttons = el('div', { class: 'board-buttons board-accept-buttons', 'data-admin': true },
        QUICK_MINUTES.map((minutes) => el('button', {
          type: 'button', class: 'accept', text: `${minutes}분`, dataset: { boardAction: 'accept', minutes: String(minutes) },
          onclick: (event) => accept(event.currentTarget, order, minutes),
        })),
        el('button', {
          type: 'button', class: 'accept', text: fallback ? `기본 ${fallback}분` : '기본', dataset: { boardAction: 'accept-default' },
          onclick: (event) => accept(event.currentTarget, order, null),
        }),
        cancel);
    } else if (order.status === 'accepted') {
      buttons = el('div', { class: 'board-buttons', 'data-admin': true },
        el('button', {
          type: 'button', class: 'ready', text: '완료', dataset: { boardAction: 'ready' },
          onclick: (event) => markReady(event.currentTarget, order),
        }),
        cancel);
    }
    return el('article', { class: classes.join(' '), dataset: { orderId: order.order_id, status: order.status } },
      el('header', { class: 'board-card-head' },
        el('span', { class: 'board-nickname', text: order.nickname }),
        el('span', { class: 'board-waited', dataset: { placedAt: order.placed_at || '' }, text: order.placed_at ? waited(order.placed_at) : '' })),
      lines.length ? el('ul', { class: 'board-lines' }, lines.map(lineView)) : null,
      el('div', { class: 'board-card-foot' },
        el('span', { class: 'board-total', text: order.total !== undefined ? won(order.total) : '' }),
        el('span', { class: 'board-placed muted small', text: order.placed_at ? `주문 ${timeOfDay(order.placed_at)}` : '' }),
        order.status === 'canceled' ? null : el('button', {
          type: 'button', class: 'secondary board-print', text: '인쇄', dataset: { boardAction: 'print' },
          onclick: () => printTicket(board.orders.get(order.order_id) || order),
        })),
      state,
      buttons);
  }

  function render() {
    const root = $('#board');
    if (!root) return;
    for (const [status, { label }] of Object.entries(FILTERS)) {
      const button = $(`[data-board-filter="${status}"]`);
      if (!button) continue;
      button.setAttribute('aria-pressed', String(status === board.filter));
      button.textContent = `${label} ${byStatus(status).length}`;
    }
    const tabCount = $('#board-tab-count');
    const waiting = byStatus('placed').length + byStatus('accepted').length;
    if (tabCount) {
      tabCount.textContent = String(waiting);
      tabCount.hidden = waiting === 0;
    }
    const list = byStatus(board.filter);
    if (!board.running) {
      root.replaceChildren();
    } else if (!board.dayOpen && board.orders.size === 0) {
      root.replaceChildren(el('p', { class: 'muted board-empty', text: '영업일이 시작되면 주문이 이곳에 실시간으로 표시됩니다.' }));
    } else if (list.length === 0) {
      root.replaceChildren(el('p', { class: 'muted board-empty', text: FILTERS[board.filter].empty }));
    } else {
      root.replaceChildren(...list.map(card));
    }
    renderTitle();
  }

  function renderClocks() {
    for (const node of document.querySelectorAll('#board .board-waited')) {
      if (node.dataset.placedAt) node.textContent = waited(node.dataset.placedAt);
    }
    for (const node of document.querySelectorAll('#board .board-promise')) {
      const order = board.orders.get(node.closest('.order-card').dataset.orderId);
      if (order) node.textContent = untilPromised(order);
    }
    for (const node of document.querySelectorAll('#board .order-card.is-placed, #board .order-card.is-accepted')) {
      const order = board.orders.get(node.dataset.orderId);
      if (order) node.classList.toggle('is-late', isLate(order));
    }
  }

  function showOffline(offline) {
    const banner = $('#board-offline');
    if (banner) banner.hidden = !offline;
  }

  function showNotice(text) {
    const notice = $('#board-notice');
    if (notice) showMessage(notice, text, 'info');
  }

  // ---- start ---------------------------------------------------------------------------------

  function build() {
    // The banner sits above every tab: new orders are missed whichever tab is open.
    const banner = el('div', { id: 'board-offline', class: 'board-offline', role: 'alert', hidden: true },
      el('strong', { text: '연결 끊김' }),
      ' 실시간 주문 현황에 다시 연결하는 중입니다…');
    $('main').before(banner);

    const tab = $('[data-tab="board"]');
    if (tab) tab.append(el('span', { id: 'board-tab-count', class: 'board-tab-count', hidden: true }));

    const dialog = el('dialog', { id: 'board-cancel-dialog', 'aria-labelledby': 'board-cancel-title' },
      el('form', { method: 'dialog' },
        el('h2', { id: 'board-cancel-title', text: '주문 취소' }),
        el('p', { id: 'board-cancel-summary', class: 'board-cancel-summary' }),
        el('p', { id: 'board-cancel-refund', class: 'muted' }),
        el('label', {}, '취소 사유 (고객에게 전달됩니다)',
          el('input', { name: 'reason', required: true, maxlength: MAX_REASON, placeholder: '예: 재료 소진' })),
        el('p', { id: 'board-cancel-message', class: 'message error', role: 'alert', hidden: true }),
        el('div', { class: 'dialog-buttons' },
          el('button', { type: 'button', class: 'secondary', text: '돌아가기', onclick: () => dialog.close() }),
          el('button', { type: 'submit', id: 'board-cancel-submit', class: 'warn', text: '취소하고 환불' }))));
    document.body.append(dialog);
    // Laid out off screen at its printed width (so its height can be measured); board.css prints
    // it alone.
    document.body.append(el('div', { id: 'ticket', 'aria-hidden': 'true' }));
    window.addEventListener('afterprint', () => document.body.classList.remove('printing-ticket'));

    for (const button of document.querySelectorAll('[data-board-filter]')) {
      button.addEventListener('click', () => {
        board.filter = button.dataset.boardFilter;
        scheduleRender();
      });
    }
    for (const id of ['#board-prep', '#board-busy', '#board-auto']) {
      const input = $(id);
      if (input) input.addEventListener('change', saveSettings);
    }
    const sound = $('#board-sound');
    if (sound) sound.addEventListener('change', () => { if (sound.checked) unlockAudio(); });
    // This device's choice: the counter's printer belongs to one browser, not to the store.
    const autoPrint = $('#board-autoprint');
    if (autoPrint) {
      autoPrint.checked = localStorage.getItem(AUTO_PRINT_KEY) === '1';
      autoPrint.addEventListener('change', () => {
        if (autoPrint.checked) localStorage.setItem(AUTO_PRINT_KEY, '1');
        else localStorage.removeItem(AUTO_PRINT_KEY);
      });
    }

    document.addEventListener('pointerdown', unlockAudio);
    document.addEventListener('keydown', unlockAudio);
    document.addEventListener('visibilitychange', () => {
      renderTitle();
      if (!document.hidden) reconnectNow();
    });
    window.addEventListener('focus', renderTitle);
    window.addEventListener('online', reconnectNow);
    for (const button of document.querySelectorAll('[data-tab]')) {
      button.addEventListener('click', () => setTimeout(renderTitle, 0));
    }

    // The board runs while the signed-in page shows, whichever tab is open.
    const view = $('#app-view');
    const follow = () => (view.hidden ? stop() : start());
    new MutationObserver(follow).observe(view, { attributes: true, attributeFilter: ['hidden'] });
    follow();
  }

  document.addEventListener('DOMContentLoaded', build);
})();
