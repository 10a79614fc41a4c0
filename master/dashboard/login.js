// The login form: trades an admin access key for a session cookie.
'use strict';

function showError(text) {
  const box = document.getElementById('login-error');
  box.textContent = text;
  box.hidden = false;
}

async function logIn(event) {
  event.preventDefault();
  const form = event.target;
  const button = document.getElementById('login-button');
  button.disabled = true;
  try {
    const response = await fetch('/api/login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: {'Content-Type': 'application/x-www-form-urlencoded'},
      body: new URLSearchParams(new FormData(form)).toString(),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      showError(answer.error || `login failed (HTTP ${response.status})`);
      return;
    }
    // The cookie is Secure: a browser keeps it only over https or on a
    // loopback address. Check that it came back before moving on.
    const check = await fetch('/api/session', {credentials: 'same-origin'});
    if (!check.ok) {
      showError('The key was accepted, but this browser did not keep the ' +
                'session cookie: it is marked Secure, so open the dashboard ' +
                'over https or through 127.0.0.1 (for example an SSH tunnel).');
      return;
    }
    window.location.assign('/');
  } catch (error) {
    showError(`cannot reach the master: ${error}`);
  } finally {
    button.disabled = false;
  }
}

document.getElementById('login-form').addEventListener('submit', logIn);
