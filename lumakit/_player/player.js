// lumakit synced player: one play/pause/seek/speed control for every clip.
// The longest clip leads (its currentTime is the clock); followers are nudged by playbackRate for small
// drift and re-seeked for large drift. Shorter clips hold their last frame until the group loops.
const HARD = 0.12; // s: re-seek a follower that is this far off
const SOFT = 0.02; // s: below this, play at the group rate

function fmt(t) {
  if (!isFinite(t)) t = 0;
  const m = Math.floor(t / 60), s = t - 60 * m;
  return `${m}:${s.toFixed(2).padStart(5, "0")}`;
}

// Inline SVG icons: glyphs such as U+23EF need fonts that headless or minimal browsers lack.
const ICONS = {
  play: "M4 2.5v11l9-5.5z",
  pause: "M4 2.5h3v11H4zM9 2.5h3v11H9z",
  back: "M3 2.5h2v11H3zM13 2.5v11L6 8z",
  fwd: "M11 2.5h2v11h-2zM3 2.5v11L10 8z",
  sound: "M2 6h3l4-3.5v11L5 10H2zM11 5.5q2 2.5 0 5l1 1q3-3.5 0-7z",
  mute: "M2 6h3l4-3.5v11L5 10H2zM10.5 6l1-1 1.5 1.5L14.5 5l1 1L14 7.5 15.5 9l-1 1L13 8.5 11.5 10l-1-1L12 7.5z",
};

function icon(name) {
  return `<svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true"><path d="${ICONS[name]}" fill="currentColor"/></svg>`;
}

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "lk-player";
  const grid = document.createElement("div");
  grid.className = "lk-grid";
  const bar = document.createElement("div");
  bar.className = "lk-bar";
  const playBtn = document.createElement("button");
  playBtn.className = "lk-play";
  playBtn.title = "play / pause every clip";
  const back = document.createElement("button");
  back.innerHTML = icon("back");
  back.title = "one frame back";
  back.setAttribute("aria-label", "one frame back");
  const fwd = document.createElement("button");
  fwd.innerHTML = icon("fwd");
  fwd.title = "one frame forward";
  fwd.setAttribute("aria-label", "one frame forward");
  const slider = document.createElement("input");
  slider.type = "range";
  slider.className = "lk-seek";
  slider.min = "0";
  slider.step = "0.001";
  slider.value = "0";
  const label = document.createElement("span");
  label.className = "lk-time";
  const speed = document.createElement("select");
  speed.className = "lk-speed";
  for (const r of [0.25, 0.5, 1, 1.5, 2]) {
    const o = document.createElement("option");
    o.value = String(r);
    o.textContent = `${r}×`;
    speed.appendChild(o);
  }
  // sound: which clip is heard (one at a time; "off" mutes all). Choosing is a click, so browsers allow it.
  const soundBtn = document.createElement("button");
  soundBtn.className = "lk-sound-toggle";
  const soundSel = document.createElement("select");
  soundSel.className = "lk-sound";
  soundSel.title = "the clip you hear";
  bar.append(playBtn, back, fwd, slider, label, speed, soundBtn, soundSel);
  root.append(grid, bar);
  el.appendChild(root);

  let videos = [];
  let durations = [];
  let leader = null;
  let playing = false;
  let raf = 0;
  let dragging = false;
  let blocked = false; // the browser refused to autoplay the heard clip with sound: it plays muted

  const heard = () => {
    const i = Number(model.get("sound"));
    return Number.isInteger(i) && i >= 0 && i < videos.length ? i : -1;
  };
  function applySound() {
    const h = heard();
    videos.forEach((v, i) => internal(v, () => { v.muted = i !== h || blocked; }));
    showSound();
  }
  function showSound() {
    const h = heard();
    const on = h >= 0 && !blocked;
    soundBtn.innerHTML = icon(on ? "sound" : "mute");
    soundBtn.title = on ? "sound on: click to mute" : (h >= 0 ? "click for sound" : "sound off");
    soundBtn.setAttribute("aria-label", soundBtn.title);
    soundBtn.setAttribute("aria-pressed", String(on));
    soundSel.value = String(h);
  }
  function setSound(i) {
    blocked = false;
    if (Number(model.get("sound")) !== i) { model.set("sound", i); model.save_changes(); }
    applySound();
  }
  let lastHeard = -1;

  const loop = () => model.get("loop");
  const rate = () => Number(model.get("rate")) || 1;
  const total = () => Math.max(0, ...durations.map((d) => (isFinite(d) ? d : 0)));
  const dur = (i) => (isFinite(durations[i]) && durations[i] > 0 ? durations[i] : total());

  function build() {
    cancelAnimationFrame(raf);
    for (const v of videos) { v.pause(); v.removeAttribute("src"); v.load(); }
    grid.replaceChildren();
    const sources = model.get("sources") || [];
    const cols = model.get("columns") || Math.min(sources.length, 4) || 1;
    const w = model.get("width");
    grid.style.gridTemplateColumns = w ? `repeat(${cols}, ${w}px)` : `repeat(${cols}, minmax(0, 1fr))`;
    videos = [];
    durations = sources.map((s) => Number(s.duration) || NaN);
    soundSel.replaceChildren();
    const off = document.createElement("option");
    off.value = "-1";
    off.textContent = "sound off";
    soundSel.appendChild(off);
    sources.forEach((s, i) => {
      if (!s.audio && i !== Number(model.get("sound"))) return;
      const o = document.createElement("option");
      o.value = String(i);
      o.textContent = `sound: ${s.title || `clip ${i + 1}`}`;
      soundSel.appendChild(o);
    });
    soundBtn.hidden = soundSel.hidden = soundSel.options.length < 2;
    sources.forEach((s, i) => {
      const fig = document.createElement("figure");
      const v = document.createElement("video");
      v.src = s.src;
      v.muted = true; // until applySound: only the clip heard is unmuted
      v.playsInline = true;
      v.setAttribute("playsinline", "");
      v.controls = true;
      v.preload = "auto";
      v.dataset.index = String(i);
      const h = model.get("height");
      if (h) { v.style.height = `${h}px`; v.style.width = "auto"; }
      const b = Number(model.get("border")) || 0;
      if (b) { v.style.border = `${b}px solid #000`; v.style.boxSizing = "border-box"; }
      v.addEventListener("loadedmetadata", () => {
        if (isFinite(v.duration) && v.duration > 0) durations[i] = v.duration;
        pickLeader();
        slider.max = String(total());
        tick(true);
      });
      v.addEventListener("play", () => { if (!v._lkInternal && !playing) setPlaying(true); });
      v.addEventListener("pause", () => {
        if (!v._lkInternal && playing && !v.ended && v.currentTime < dur(i) - 0.05) setPlaying(false);
      });
      v.addEventListener("seeked", () => {
        if (v._lkSeek) { v._lkSeek = false; return; }
        if (v !== leader && leader) seekAll(v.currentTime);
      });
      v.addEventListener("ended", () => { if (v === leader) onLeaderEnded(); });
      // unmuting a clip with its own volume control makes it the one heard
      v.addEventListener("volumechange", () => { if (!v._lkInternal && !v.muted && heard() !== i) setSound(i); });
      fig.appendChild(v);
      if (s.preview) {
        // On the clip itself, so a screenshot of one clip still says what it is.
        fig.classList.add("lk-preview");
        const m = document.createElement("span");
        m.className = "lk-preview-mark";
        m.textContent = model.get("preview_mark");  // from lumakit._preview, its one home
        fig.appendChild(m);
      }
      if (s.title) {
        const c = document.createElement("figcaption");
        c.textContent = s.title;
        fig.appendChild(c);
      }
      grid.appendChild(fig);
      videos.push(v);
    });
    pickLeader();
    applySound();
    if (model.get("autoplay")) setPlaying(true); else showState();
  }

  // play one clip; the heard clip may be refused sound before any click: it then plays muted
  function start(v, i) {
    internal(v, () => v.play().catch((err) => {
      if (err && err.name === "NotAllowedError" && i === heard() && !v.muted) {
        blocked = true;
        applySound();
        internal(v, () => v.play().catch(() => {}));
      }
    }));
  }

  function pickLeader() {
    let best = 0;
    durations.forEach((d, i) => { if ((d || 0) > (durations[best] || 0)) best = i; });
    leader = videos[best] || null;
  }

  function internal(v, fn) {
    v._lkInternal = true;
    try { return fn(); } finally { setTimeout(() => { v._lkInternal = false; }, 0); }
  }

  function setTime(v, t) {
    if (Math.abs(v.currentTime - t) < 1e-3) return;
    v._lkSeek = true;
    v.currentTime = t;
  }

  function clock() { return leader ? leader.currentTime : 0; }

  function setPlaying(on) {
    playing = on;
    if (model.get("playing") !== on) { model.set("playing", on); model.save_changes(); }
    videos.forEach((v, i) => {
      v.playbackRate = rate();
      if (on && clock() < dur(i) - 0.02) start(v, i);
      else if (!on) internal(v, () => v.pause());
    });
    if (on) { cancelAnimationFrame(raf); raf = requestAnimationFrame(frame); }
    showState();
  }

  function seekAll(t) {
    const T = total();
    t = Math.max(0, Math.min(t, T));
    videos.forEach((v, i) => setTime(v, Math.min(t, Math.max(0, dur(i) - 1e-3))));
    tick(true);
    model.set("current_time", t);
    model.save_changes();
  }

  function onLeaderEnded() {
    if (loop()) {
      seekAll(0);
      if (playing) videos.forEach((v, i) => start(v, i));
    } else {
      setPlaying(false);
    }
  }

  function frame() {
    if (!playing) return;
    tick(false);
    raf = requestAnimationFrame(frame);
  }

  // Correct followers against the leader's clock and refresh the bar.
  function tick(force) {
    const t = clock();
    videos.forEach((v, i) => {
      if (v === leader) { v.playbackRate = rate(); return; }
      const d = dur(i);
      if (t >= d - 0.02) {
        // a shorter clip holds its last frame until the group loops
        if (!v.paused) internal(v, () => v.pause());
        if (Math.abs(v.currentTime - (d - 1e-3)) > 0.05) setTime(v, d - 1e-3);
        return;
      }
      if (playing && v.paused && !leader.paused) start(v, i);
      const drift = v.currentTime - t;
      if (force || Math.abs(drift) > HARD || (!playing && Math.abs(drift) > 1e-3)) {
        setTime(v, t);
        v.playbackRate = rate();
      } else if (Math.abs(drift) > SOFT) {
        v.playbackRate = rate() * (1 - Math.max(-0.25, Math.min(0.25, drift * 2)));
      } else {
        v.playbackRate = rate();
      }
    });
    if (!dragging) slider.value = String(t);
    label.textContent = `${fmt(t)} / ${fmt(total())}`;
  }

  function showState() {
    playBtn.innerHTML = icon(playing ? "pause" : "play");
    playBtn.setAttribute("aria-label", playing ? "pause" : "play");
    playBtn.setAttribute("aria-pressed", String(playing));
    speed.value = String(rate());
    tick(false);
  }

  const step = (sign) => () => {
    if (playing) setPlaying(false);
    seekAll(clock() + sign / (Number(model.get("fps")) || 24));
  };

  playBtn.addEventListener("click", () => setPlaying(!playing));
  back.addEventListener("click", step(-1));
  fwd.addEventListener("click", step(+1));
  slider.addEventListener("input", () => { dragging = true; seekAll(Number(slider.value)); });
  slider.addEventListener("change", () => { dragging = false; seekAll(Number(slider.value)); });
  speed.addEventListener("change", () => { model.set("rate", Number(speed.value)); model.save_changes(); });
  soundSel.addEventListener("change", () => setSound(Number(soundSel.value)));
  soundBtn.addEventListener("click", () => {
    const h = heard();
    if (h >= 0 && !blocked) { lastHeard = h; setSound(-1); }
    else if (h >= 0) setSound(h);
    else setSound(lastHeard >= 0 ? lastHeard : Number(soundSel.options[1] ? soundSel.options[1].value : -1));
  });

  model.on("change:sources", build);
  model.on("change:columns", build);
  model.on("change:width", build);
  model.on("change:height", build);
  model.on("change:sound", () => { blocked = false; applySound(); });
  model.on("change:rate", () => { videos.forEach((v) => (v.playbackRate = rate())); showState(); });
  model.on("change:playing", () => { if (model.get("playing") !== playing) setPlaying(model.get("playing")); });
  model.on("change:current_time", () => {
    const t = Number(model.get("current_time"));
    if (Math.abs(t - clock()) > 0.01) seekAll(t);
  });

  // test and debugging hook: the live video elements and the group state
  root.lumakit = { videos: () => videos, seek: seekAll, play: setPlaying, leader: () => leader, sound: setSound };
  build();
  return () => { cancelAnimationFrame(raf); for (const v of videos) v.pause(); };
}

export default { render };
