// Lead forms: proof of work (SHA-256, no CAPTCHA), "use my location", photos shrunk and
// stripped of their metadata in the browser before they are sent, named/anonymous toggle.
(function () {
  "use strict";

  // --- SHA-256 (FIPS 180-4) over an ASCII string -------------------------------------------
  var K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ]);
  var W = new Uint32Array(64);

  function rotr(x, n) { return (x >>> n) | (x << (32 - n)); }

  // Returns the first 32-bit word of the digest (enough to count leading zero bits up to 32).
  function sha256FirstWord(text) {
    var len = text.length;
    var blocks = ((len + 9 + 63) >> 6);
    var words = new Uint32Array(blocks * 16);
    for (var i = 0; i < len; i++) { words[i >> 2] |= (text.charCodeAt(i) & 0xff) << (24 - (i & 3) * 8); }
    words[len >> 2] |= 0x80 << (24 - (len & 3) * 8);
    words[blocks * 16 - 1] = len * 8;
    var h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a;
    var h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
    for (var b = 0; b < blocks; b++) {
      for (var t = 0; t < 16; t++) { W[t] = words[b * 16 + t]; }
      for (t = 16; t < 64; t++) {
        var s0 = rotr(W[t - 15], 7) ^ rotr(W[t - 15], 18) ^ (W[t - 15] >>> 3);
        var s1 = rotr(W[t - 2], 17) ^ rotr(W[t - 2], 19) ^ (W[t - 2] >>> 10);
        W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0;
      }
      var a = h0, bb = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
      for (t = 0; t < 64; t++) {
        var S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        var ch = (e & f) ^ (~e & g);
        var t1 = (h + S1 + ch + K[t] + W[t]) | 0;
        var S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        var maj = (a & bb) ^ (a & c) ^ (bb & c);
        var t2 = (S0 + maj) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = bb; bb = a; a = (t1 + t2) | 0;
      }
      h0 = (h0 + a) | 0; h1 = (h1 + bb) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
      h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
    }
    return h0 >>> 0;
  }

  function leadingZeroBits(word) { return word === 0 ? 32 : Math.clz32(word); }

  // Finds a nonce in slices so the page stays responsive; calls done(nonce).
  function solve(challenge, bits, done) {
    var nonce = 0;
    var prefix = challenge + ":";
    function slice() {
      var stop = nonce + 5000;
      for (; nonce < stop; nonce++) {
        if (leadingZeroBits(sha256FirstWord(prefix + nonce)) >= bits) { done(String(nonce)); return; }
      }
      setTimeout(slice, 0);
    }
    slice();
  }

  // --- photos: shrink to 1600 px and re-encode (drops EXIF and GPS before upload) -------------
  function shrink(file) {
    if (!window.createImageBitmap || !/^image\/(jpeg|png|webp)$/.test(file.type)) {
      return Promise.resolve(file);
    }
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          resolve(blob ? new File([blob], "photo.jpg", { type: "image/jpeg" }) : file);
        }, "image/jpeg", 0.85);
      });
    }).catch(function () { return file; });
  }

  function shrinkAll(input) {
    if (!input || !input.files || !input.files.length || !window.DataTransfer) {
      return Promise.resolve();
    }
    var files = Array.prototype.slice.call(input.files, 0, Number(input.dataset.max || 3));
    return Promise.all(files.map(shrink)).then(function (small) {
      var dt = new DataTransfer();
      small.forEach(function (f) { dt.items.add(f); });
      input.files = dt.files;
    });
  }

  // --- wiring --------------------------------------------------------------------------------
  function setupPow(form) {
    var status = document.getElementById("pow-status");
    var nonceField = form.querySelector("input[name=nonce]");
    var solved = false;
    var waiting = false;
    var photos = form.querySelector("input[name=photos]");
    function send() {
      if (status) { status.textContent = form.dataset.msgPhotos || ""; }
      shrinkAll(photos).then(function () { form.submit(); });
    }
    solve(form.dataset.challenge, Number(form.dataset.bits), function (nonce) {
      nonceField.value = nonce;
      solved = true;
      form.dataset.powReady = "1";
      if (status) { status.textContent = form.dataset.msgReady || ""; }
      if (waiting) { send(); }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!form.reportValidity()) { return; }
      if (solved) { send(); return; }
      waiting = true;
      if (status) { status.textContent = form.dataset.msgSolving || ""; }
    });
  }

  function setupLocation(form) {
    var button = document.getElementById("use-location");
    if (!button) { return; }
    var out = document.getElementById("location-status");
    if (!navigator.geolocation) { button.hidden = true; return; }
    button.addEventListener("click", function () {
      out.textContent = button.dataset.msgWait;
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.querySelector("input[name=lat]").value = pos.coords.latitude.toFixed(6);
        form.querySelector("input[name=lng]").value = pos.coords.longitude.toFixed(6);
        out.textContent = button.dataset.msgOk;
        form.dataset.located = "1";
      }, function () {
        out.textContent = button.dataset.msgFail;
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  function setupReporter(form) {
    var named = form.querySelector(".named-fields");
    if (!named) { return; }
    function update() {
      var choice = form.querySelector("input[name=anonymous]:checked");
      named.hidden = !choice || choice.value !== "0";
    }
    form.querySelectorAll("input[name=anonymous]").forEach(function (r) {
      r.addEventListener("change", update);
    });
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("report-form");
    if (!form) { return; }
    setupReporter(form);
    setupLocation(form);
    setupPow(form);
  });
})();
