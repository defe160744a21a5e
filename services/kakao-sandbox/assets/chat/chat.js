// Chat simulator: plays KakaoTalk + Open Builder for this bot.
// The server (POST /chat/send) picks the block, builds the SkillPayload, calls the skill and
// validates the answer; this page only keeps the user's keys and renders the conversation.
'use strict';

(() => {
  const KEYS = { user: 'simpleorder.sim.botUserKey', pf: 'simpleorder.sim.plusfriendUserKey', loc: 'simpleorder.sim.location' };
  const DEFAULT_LOCATION = { latitude: '37.4979', longitude: '127.0276' }; // 강남역
  const FOLD_AFTER = 500; // KakaoTalk folds a simpleText after 500 chars behind "전체 보기"

  const $ = (id) => document.getElementById(id);
  const chat = $('chat');
  const quickReplies = $('quick-replies');
  let botName = '챗봇';
  let busy = false;
  let lastRow = null; // to draw the bot's avatar once per run of bot bubbles

  // ---- the simulated user: a stable fake botUserKey per browser ----------------------------

  function randomKey(bytes) {
    const a = new Uint8Array(bytes);
    crypto.getRandomValues(a);
    return Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function user() {
    let key = localStorage.getItem(KEYS.user);
    let pf = localStorage.getItem(KEYS.pf);
    if (!key || !pf) {
      key = randomKey(32); // 64 hex chars; Kakao's keys are at most 70
      pf = 'pf' + randomKey(6);
      localStorage.setItem(KEYS.user, key);
      localStorage.setItem(KEYS.pf, pf);
    }
    return { user_key: key, plusfriend_user_key: pf };
  }

  function showUser() { $('user-key').textContent = user().user_key; }

  // ---- DOM helpers (response text only ever goes into textContent) -------------------------

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null && text !== '') e.textContent = String(text);
    return e;
  }

  /** Only http(s) URLs become links or images; anything else (javascript:, data:) is dropped. */
  function safeUrl(url) {
    if (typeof url !== 'string' || url === '') return null;
    try {
      const u = new URL(url, location.href);
      return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
    } catch (_) {
      return null;
    }
  }

  function won(n) { return Number(n).toLocaleString('ko-KR') + '원'; }

  function scrollDown() { chat.scrollTop = chat.scrollHeight; }

  function row(kind) {
    const r = el('div', 'row ' + kind);
    if (kind === 'bot' && !(lastRow && lastRow.classList.contains('bot'))) {
      r.classList.add('first');
      r.appendChild(el('span', 'sender', botName));
    }
    chat.appendChild(r);
    lastRow = r;
    return r;
  }

  function userBubble(text) {
    row('user').appendChild(el('div', 'bubble', text));
    scrollDown();
  }

  function systemNote(text, level) {
    row('system').appendChild(el('div', 'note' + (level ? ' ' + level : ''), text));
    scrollDown();
  }

  function violationsBox(violations) {
    const box = el('div', 'violations');
    box.appendChild(el('strong', null, '⚠ 카카오 응답 규격 위반: 카카오는 이 응답을 거부하거나 다르게 보여 줄 수 있습니다'));
    const ul = el('ul');
    violations.forEach((v) => ul.appendChild(el('li', null, v)));
    box.appendChild(ul);
    row('system').appendChild(box);
    scrollDown();
  }

  function debugBox(x) {
    const d = el('details', 'debug');
    const meta = [x.block && `블록 ${x.block.name} (${x.block.id})`, x.skill && `스킬 ${x.skill}`,
      x.fallback ? '폴백' : null, x.status ? `HTTP ${x.status}` : null,
      x.elapsed_ms !== undefined ? `${x.elapsed_ms}ms` : null].filter(Boolean).join(' · ');
    d.appendChild(el('summary', null, meta || 'JSON'));
    if (x.url) d.appendChild(el('div', null, 'POST ' + x.url));
    d.appendChild(el('div', null, '보낸 SkillPayload'));
    d.appendChild(el('pre', null, JSON.stringify(x.request, null, 2)));
    d.appendChild(el('div', null, '받은 응답'));
    d.appendChild(el('pre', null, x.response === undefined ? '(없음)' : JSON.stringify(x.response, null, 2)));
    row('system').appendChild(d);
  }

  // ---- what the user does ------------------------------------------------------------------

  async function send(input, shown) {
    if (busy) return;
    busy = true;
    setBusy(true);
    clearQuickReplies();
    userBubble(shown);
    try {
      const res = await fetch('/chat/send', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(Object.assign(user(), input)),
      });
      let body;
      try {
        body = await res.json();
      } catch (_) {
        systemNote(`샌드박스가 HTTP ${res.status}(으)로 답했습니다.`, 'error');
        return;
      }
      if (!body.request) { // the simulator refused the input itself
        systemNote('보낼 수 없습니다: ' + ((body.error && body.error.message) || res.status), 'error');
        return;
      }
      renderExchange(body);
    } catch (e) {
      systemNote('샌드박스에 연결하지 못했습니다: ' + e.message, 'error');
    } finally {
      busy = false;
      setBusy(false);
    }
  }

  function setBusy(on) {
    document.querySelectorAll('#composer button, #location button').forEach((b) => { b.disabled = on; });
  }

  function sendText(text) {
    const t = String(text || '').trim();
    if (t) send({ utterance: t }, t);
  }

  /** A `block` button, quick reply or list item: Kakao runs that block with the extra. */
  function sendBlock(target, label) {
    const shown = target.messageText || label || '';
    send({ button: { blockId: target.blockId, label: label, messageText: target.messageText, extra: target.extra || null } }, shown);
  }

  function tapButton(b) {
    switch (b.action) {
      case 'message': return sendText(b.messageText || b.label);
      case 'block': return sendBlock(b, b.label);
      case 'phone': return systemNote(`전화 걸기: ${b.phoneNumber || ''} (시뮬레이터는 걸지 않습니다)`);
      case 'share': return systemNote('공유하기는 시뮬레이터에서 지원하지 않습니다.');
      case 'operator': return systemNote('상담원 연결은 시뮬레이터에서 지원하지 않습니다.');
      default: return systemNote(`알 수 없는 버튼 동작: ${b.action}`, 'warn');
    }
  }

  // ---- rendering a SkillResponse -----------------------------------------------------------

  function renderExchange(x) {
    if (x.response && typeof x.response === 'object') renderResponse(x.response);
    if (x.error) systemNote('⚠ ' + x.error.message, 'error');
    if (x.violations && x.violations.length) violationsBox(x.violations);
    debugBox(x);
    scrollDown();
  }

  function renderResponse(resp) {
    const template = resp.template;
    if (template && Array.isArray(template.outputs)) {
      template.outputs.forEach(renderOutput);
      renderQuickReplies(template.quickReplies);
    } else if (resp.useCallback) {
      systemNote('콜백 응답(useCallback): 실제 답은 나중에 콜백 URL로 옵니다.');
    } else if (resp.data) {
      systemNote('data만 있는 응답: 블록의 응답 설정이 이 값을 씁니다. ' + JSON.stringify(resp.data));
    }
  }

  function renderOutput(output) {
    if (!output || typeof output !== 'object') return;
    const kind = Object.keys(output)[0];
    const body = output[kind] || {};
    const r = row('bot');
    if (kind === 'carousel') {
      r.appendChild(carousel(body));
    } else if (kind === 'simpleText') {
      r.appendChild(simpleText(body));
    } else if (kind === 'simpleImage') {
      r.appendChild(simpleImage(body));
    } else if (CARDS[kind]) {
      r.appendChild(CARDS[kind](body));
    } else {
      r.appendChild(el('div', 'bubble', `(알 수 없는 출력: ${kind})`));
    }
    scrollDown();
  }

  function simpleText(c) {
    const text = String(c.text || '');
    const b = el('div', 'bubble');
    if (text.length <= FOLD_AFTER) {
      b.textContent = text;
      return b;
    }
    const shown = el('span', null, text.slice(0, FOLD_AFTER) + '…');
    const more = el('button', 'more', '전체 보기');
    more.type = 'button';
    more.addEventListener('click', () => { shown.textContent = text; more.remove(); });
    b.append(shown, more);
    return b;
  }

  function simpleImage(c) {
    const src = safeUrl(c.imageUrl);
    if (!src) return el('div', 'bubble', c.altText || '(이미지)');
    const img = el('img', 'simple-image');
    img.src = src;
    img.alt = c.altText || '';
    return img;
  }

  function thumbnail(t) {
    if (!t) return null;
    const src = safeUrl(t.imageUrl);
    const className = 'thumb' + (t.fixedRatio ? ' square' : '');
    const missing = () => el('div', className + ' missing', '이미지를 불러오지 못했습니다');
    if (!src) return missing();
    const img = el('img', className);
    img.alt = '';
    img.src = src;
    img.addEventListener('error', () => img.replaceWith(missing()));
    const link = t.link && safeUrl(t.link.web || t.link.mobile || t.link.pc);
    if (!link) return img;
    const a = el('a');
    a.href = link; a.target = '_blank'; a.rel = 'noopener';
    a.appendChild(img);
    return a;
  }

  function profile(p, nameKey) {
    if (!p) return null;
    const box = el('div', 'profile');
    const src = safeUrl(p.imageUrl);
    if (src) { const i = el('img'); i.src = src; i.alt = ''; box.appendChild(i); }
    box.appendChild(el('span', null, p[nameKey] || p.nickname || p.title || ''));
    return box;
  }

  function textBody(title, description) {
    const body = el('div', 'body');
    if (title) body.appendChild(el('p', 'card-title', title));
    if (description) body.appendChild(el('p', 'card-desc', description));
    return body;
  }

  function button(b) {
    if (b.action === 'webLink') {
      // A real link, so the browser opens the page in a new tab as KakaoTalk's in-app browser would.
      const href = safeUrl(b.webLinkUrl);
      const a = el('a', 'btn web', b.label);
      if (href) { a.href = href; a.target = '_blank'; a.rel = 'noopener'; }
      return a;
    }
    const btn = el('button', 'btn', b.label);
    btn.type = 'button';
    btn.dataset.action = b.action || '';
    btn.addEventListener('click', () => tapButton(b));
    return btn;
  }

  function buttons(list, layout) {
    if (!Array.isArray(list) || list.length === 0) return null;
    const box = el('div', 'buttons' + (layout === 'horizontal' ? ' horizontal' : ''));
    list.forEach((b) => box.appendChild(button(b)));
    return box;
  }

  function card(className, parts) {
    const c = el('div', 'card ' + className);
    parts.filter(Boolean).forEach((p) => c.appendChild(p));
    return c;
  }

  function textCard(c) {
    return card('text-card', [textBody(c.title, c.description), buttons(c.buttons, c.buttonLayout)]);
  }

  function basicCard(c) {
    return card('basic-card', [thumbnail(c.thumbnail), profile(c.profile, 'nickname'),
      textBody(c.title, c.description), buttons(c.buttons, c.buttonLayout)]);
  }

  /** Kakao's price rule: discountedPrice wins; discountRate shows only beside it; else discount. */
  function price(c) {
    const box = el('div', 'price');
    const p = Number(c.price);
    let final = p;
    let badge = null;
    if (c.discountedPrice !== undefined && c.discountedPrice !== null) {
      final = Number(c.discountedPrice);
      if (c.discountRate) badge = `${c.discountRate}%`;
    } else if (c.discount) {
      final = p - Number(c.discount);
      badge = `${won(c.discount)} 할인`;
    }
    if (badge) box.appendChild(el('span', 'badge', badge));
    box.appendChild(el('span', 'final', won(final)));
    if (final !== p) box.appendChild(el('span', 'original', won(p)));
    return box;
  }

  function commerceCard(c) {
    const body = textBody(c.title, c.description);
    body.appendChild(price(c));
    const thumbs = Array.isArray(c.thumbnails) ? c.thumbnails : [];
    return card('commerce-card', [thumbnail(thumbs[0]), profile(c.profile, 'nickname'), body,
      buttons(c.buttons, c.buttonLayout)]);
  }

  function listItem(item) {
    const r = el('div', 'list-item');
    const texts = el('div', 'texts');
    texts.appendChild(el('div', 't', item.title));
    if (item.description) texts.appendChild(el('div', 'd', item.description));
    r.appendChild(texts);
    const src = safeUrl(item.imageUrl);
    if (src) { const i = el('img'); i.src = src; i.alt = ''; r.appendChild(i); }
    const link = item.link && safeUrl(item.link.web || item.link.mobile || item.link.pc);
    let tap = null;
    if (item.action === 'block') tap = () => sendBlock(item, item.title);
    else if (item.action === 'message') tap = () => sendText(item.messageText || item.title);
    else if (link) tap = () => window.open(link, '_blank', 'noopener');
    if (tap) { r.classList.add('tappable'); r.addEventListener('click', tap); }
    return r;
  }

  function listCard(c) {
    const header = el('div', 'list-header', c.header && c.header.title);
    const items = (Array.isArray(c.items) ? c.items : []).map(listItem);
    return card('list-card', [header, ...items, buttons(c.buttons, c.buttonLayout)]);
  }

  function itemCard(c) {
    const parts = [thumbnail(c.thumbnail), profile(c.profile, 'title')];
    if (c.head && c.head.title) parts.push(el('div', 'item-head', c.head.title));
    if (c.imageTitle) {
      const it = el('div', 'image-title');
      const texts = el('div');
      texts.appendChild(el('div', 'card-title', c.imageTitle.title));
      if (c.imageTitle.description) texts.appendChild(el('div', 'card-desc', c.imageTitle.description));
      it.appendChild(texts);
      const src = safeUrl(c.imageTitle.imageUrl);
      if (src) { const i = el('img'); i.src = src; i.alt = ''; it.appendChild(i); }
      parts.push(it);
    }
    const rows = el('div', 'item-rows' + (c.itemListAlignment === 'right' ? ' right' : ''));
    (Array.isArray(c.itemList) ? c.itemList : []).forEach((i) => {
      rows.appendChild(el('span', 'k', i.title));
      rows.appendChild(el('span', 'v', i.description));
    });
    parts.push(rows);
    if (c.itemListSummary) {
      const s = el('div', 'item-summary');
      s.append(el('span', null, c.itemListSummary.title), el('span', null, c.itemListSummary.description));
      parts.push(s);
    }
    if (c.title || c.description) parts.push(textBody(c.title, c.description));
    parts.push(buttons(c.buttons, c.buttonLayout));
    return card('item-card', parts);
  }

  const CARDS = { textCard, basicCard, commerceCard, listCard, itemCard };

  function carousel(c) {
    const box = el('div', 'carousel');
    const render = CARDS[c.type];
    if (c.header) {
      box.appendChild(card('carousel-header', [thumbnail(c.header.thumbnail), textBody(c.header.title, c.header.description)]));
    }
    (Array.isArray(c.items) ? c.items : []).forEach((item) => {
      box.appendChild(render ? render(item) : el('div', 'card', `(알 수 없는 캐러셀 형식: ${c.type})`));
    });
    return box;
  }

  function clearQuickReplies() { quickReplies.replaceChildren(); }

  function renderQuickReplies(list) {
    clearQuickReplies();
    (Array.isArray(list) ? list : []).forEach((q) => {
      const b = el('button', 'qr', q.label);
      b.type = 'button';
      b.addEventListener('click', () => {
        if (q.action === 'block') sendBlock(q, q.label); else sendText(q.messageText || q.label);
      });
      quickReplies.appendChild(b);
    });
  }

  /**
   * The bot speaks without being asked (Event API messages, pushed by the sandbox later):
   * renders a SkillResponse-shaped object as bot bubbles, with any violations found for it.
   */
  function pushBotMessage(response, violations) {
    renderResponse(response || {});
    if (violations && violations.length) violationsBox(violations);
    scrollDown();
  }

  // ---- setup -------------------------------------------------------------------------------

  async function loadBot() {
    try {
      const res = await fetch('/chat/bot.json');
      const bot = await res.json();
      botName = (bot.bot && bot.bot.name) || botName;
      $('bot-name').textContent = botName;
      document.title = `${botName} · 채팅 시뮬레이터`;
      const hints = $('hints');
      (bot.blocks || []).filter((b) => !b.event && b.utterances && b.utterances.length).forEach((b) => {
        const h = el('button', 'hint', b.utterances[0]);
        h.type = 'button';
        h.title = `${b.name} 블록 (스킬 ${b.skill})`;
        h.addEventListener('click', () => sendText(b.utterances[0]));
        hints.appendChild(h);
      });
    } catch (e) {
      systemNote('설정 파일(/chat/bot.json)을 읽지 못했습니다: ' + e.message, 'error');
    }
  }

  function setupLocation() {
    let saved = DEFAULT_LOCATION;
    try { saved = JSON.parse(localStorage.getItem(KEYS.loc)) || DEFAULT_LOCATION; } catch (_) { /* keep default */ }
    $('lat').value = saved.latitude;
    $('lng').value = saved.longitude;
    $('location').addEventListener('submit', (e) => {
      e.preventDefault();
      const latitude = Number($('lat').value);
      const longitude = Number($('lng').value);
      if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) {
        systemNote('위도와 경도는 숫자로 입력하세요.', 'warn');
        return;
      }
      localStorage.setItem(KEYS.loc, JSON.stringify({ latitude: $('lat').value, longitude: $('lng').value }));
      send({ location: { latitude, longitude } }, `📍 내 위치 (${latitude}, ${longitude})`);
    });
  }

  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $('text');
    const text = input.value;
    if (!text.trim() || busy) return;
    input.value = '';
    sendText(text);
  });

  $('new-user').addEventListener('click', () => {
    localStorage.removeItem(KEYS.user);
    localStorage.removeItem(KEYS.pf);
    chat.replaceChildren();
    clearQuickReplies();
    lastRow = null;
    showUser();
    systemNote('새 사용자로 시작합니다.');
  });

  const debug = $('debug');
  debug.addEventListener('change', () => document.body.classList.toggle('show-debug', debug.checked));
  document.body.classList.toggle('show-debug', debug.checked);

  // ---- messages the bot sends on its own (the sandbox's Event API) ------------------------

  // The sandbox keeps what each Event API delivery's skill answered; this polls for the
  // current user's and shows them as bot messages, as KakaoTalk would.
  const INBOX_EVERY_MS = 1500;
  let inboxAfter = 0;
  let inboxUser = null;

  async function pollInbox() {
    const key = user().user_key;
    if (key !== inboxUser) { inboxUser = key; inboxAfter = 0; }
    try {
      const res = await fetch(`/chat/inbox?user=${encodeURIComponent(key)}&after=${inboxAfter}`);
      if (res.status === 404) return; // a sandbox without the Event API: nothing to poll
      if (res.ok) {
        const body = await res.json();
        if (key === inboxUser) {
          (body.messages || []).forEach((m) => {
            if (m.response && typeof m.response === 'object') pushBotMessage(m.response, m.violations);
            if (m.error) systemNote(`⚠ 이벤트 ${m.event} 알림: ${m.error.message}`, 'error');
            debugBox(m);
          });
          inboxAfter = Math.max(inboxAfter, Number(body.last) || 0);
        }
      }
    } catch (_) {
      // The sandbox restarting: try again on the next round.
    }
    setTimeout(pollInbox, INBOX_EVERY_MS);
  }

  window.simulator = { pushBotMessage, sendText };
  showUser();
  setupLocation();
  loadBot();
  pollInbox();
})();
