// Self-assessment autosave, on top of htmx (each criterion's <section> posts its own fields after typing stops).
// This file adds what htmx does not: it remembers which criteria have unsaved changes, says so when a save
// cannot reach the server (the text stays in the page), and sends pending changes when the page is left or
// hidden, with fetch keepalive (same origin, the form's CSRF token included).
(function () {
  'use strict'
  const form = document.querySelector('form.pr-assessment-form')
  if (!form) return
  const dirty = new Set()

  function criterionOf (el) { return el && el.closest ? el.closest('section.pr-criterion[data-criterion]') : null }

  function setStatus (section, message, state) {
    const status = section.querySelector('.pr-save-status .pr-save-state')
    if (status) {
      status.textContent = message
      status.dataset.state = state
    }
  }

  function fieldsOf (section) {
    const cid = section.dataset.criterion
    const data = new FormData()
    const token = form.querySelector('input[name="csrf_token"]')
    if (token) data.append('csrf_token', token.value)
    for (const el of form.elements) {
      if (!el.name || !el.name.startsWith(cid + '__') || el.disabled) continue
      if ((el.type === 'checkbox' || el.type === 'radio') && !el.checked) continue
      data.append(el.name, el.value)
    }
    return data
  }

  form.addEventListener('input', function (event) {
    const section = criterionOf(event.target)
    if (section) dirty.add(section)
  })
  form.addEventListener('change', function (event) {
    const section = criterionOf(event.target)
    if (section) dirty.add(section)
  })

  document.body.addEventListener('htmx:beforeRequest', function (event) {
    const section = criterionOf(event.target)
    // While a conflict is shown its words stay put (the button under them must not move).
    if (section && !section.querySelector('.pr-save-state[data-state="conflict"]')) {
      setStatus(section, form.dataset.savingMessage || '…', 'saving')
    }
  })
  document.body.addEventListener('htmx:afterSwap', function (event) {
    const section = criterionOf(event.target)
    if (!section) return
    const state = section.querySelector('.pr-save-state')
    if (state && state.dataset.state === 'saved') dirty.delete(section)
  })
  // While a conflict is shown, a further conflicting save only refreshes the two texts in place: replacing the
  // region would take away the button under the person's pointer or keyboard focus.
  document.body.addEventListener('htmx:beforeSwap', function (event) {
    const section = criterionOf(event.detail.target)
    if (!section || !section.querySelector('.pr-save-state[data-state="conflict"]')) return
    const next = new DOMParser().parseFromString(event.detail.serverResponse || '', 'text/html')
    const state = next.querySelector('.pr-save-state')
    if (!state || state.dataset.state !== 'conflict') return
    event.detail.shouldSwap = false
    for (const selector of ['[data-theirs]', '[data-yours]', '.pr-conflict h4']) {
      const from = next.querySelectorAll(selector)
      section.querySelectorAll('.pr-save-status ' + selector).forEach(function (el, i) {
        if (from[i]) el.textContent = from[i].textContent
      })
    }
    const button = section.querySelector('.pr-save-status button[data-resolve-version]')
    const newButton = next.querySelector('button[data-resolve-version]')
    if (button && newButton) {
      button.dataset.resolveVersion = newButton.dataset.resolveVersion
      button.textContent = newButton.textContent
    }
  })

  function offline (event) {
    const section = criterionOf(event.target)
    if (section) setStatus(section, form.dataset.offlineMessage, 'offline')
  }
  document.body.addEventListener('htmx:sendError', offline)
  document.body.addEventListener('htmx:responseError', offline)
  document.body.addEventListener('htmx:timeout', offline)

  // After a conflict the page keeps saving against the old version (so nothing of theirs is overwritten) until
  // the person has merged and presses this button: then the form's text is saved against the current version.
  form.addEventListener('click', function (event) {
    const button = event.target.closest ? event.target.closest('button[data-resolve-version]') : null
    if (!button) return
    event.preventDefault()
    const section = criterionOf(button)
    const version = section && section.querySelector('.pr-save-status input[data-version]')
    if (!version) return
    version.value = button.dataset.resolveVersion
    dirty.add(section)
    window.htmx.trigger(section, 'change')
  })

  // A normal Save (no autosave needed for what it sends).
  form.addEventListener('submit', function () { dirty.clear() })

  function flush () {
    for (const section of dirty) {
      try {
        fetch(section.dataset.saveUrl, {
          method: 'POST', body: fieldsOf(section), keepalive: true, credentials: 'same-origin',
          headers: { 'X-Requested-With': 'fetch' }
        }).then(function (response) { return response.text() }).then(function (html) {
          // Back on the page (the tab was only hidden): the next save must be based on the new version.
          const box = section.querySelector('.pr-save-status')
          if (box && html) box.innerHTML = html
        }).catch(function () { dirty.add(section) })
      } catch (e) { /* the page is going away; nothing else to do */ }
    }
    dirty.clear()
  }
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden') flush()
  })
  window.addEventListener('pagehide', flush)
  window.addEventListener('beforeunload', flush)
})()
