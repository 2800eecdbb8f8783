// Widen or narrow a suggested passage by whole sentences before accepting it.
// The server lists the item's sentences (character offsets, Python string indices = code points) on each
// suggestion; the buttons move the passage's first or last sentence and write the new offsets into the
// accept form's "From character" / "To character" fields, which also work without this script.
const text = document.getElementById('coding-text')
const chars = text ? Array.from(text.textContent) : null

function setUp (widget) {
  const sentences = JSON.parse(widget.dataset.sentences || '[]')
  const card = document.getElementById(widget.dataset.target)
  const form = widget.closest('form')
  const startInput = form.querySelector('[data-span-start]')
  const endInput = form.querySelector('[data-span-end]')
  const passage = card.querySelector('[data-passage]')
  const status = widget.querySelector('[data-span-status]')
  if (!sentences.length || !startInput || !endInput) return
  const indexOf = (offset, edge) => {
    let best = 0
    sentences.forEach(([s, e], i) => {
      if (edge === 'start' ? s <= offset : s < offset) best = i
    })
    return best
  }
  let first = indexOf(Number(widget.dataset.start), 'start')
  let last = Math.max(first, indexOf(Number(widget.dataset.end), 'end'))

  function show () {
    const start = sentences[first][0]
    const end = sentences[last][1]
    startInput.value = start
    endInput.value = end
    if (chars && passage) passage.textContent = '«' + chars.slice(start, end).join('') + '»'
    widget.querySelector('[data-span="widen-start"]').disabled = first === 0
    widget.querySelector('[data-span="widen-end"]').disabled = last === sentences.length - 1
    widget.querySelector('[data-span="narrow-start"]').disabled = first === last
    widget.querySelector('[data-span="narrow-end"]').disabled = first === last
    const n = last - first + 1
    if (status) status.textContent = n === 1 ? status.dataset.one || '' : (status.dataset.many || '').replace('%n', n)
  }

  widget.addEventListener('click', (event) => {
    const button = event.target.closest('[data-span]')
    if (!button) return
    const move = button.dataset.span
    if (move === 'widen-start' && first > 0) first -= 1
    if (move === 'widen-end' && last < sentences.length - 1) last += 1
    if (move === 'narrow-start' && first < last) first += 1
    if (move === 'narrow-end' && last > first) last -= 1
    show()
  })
  widget.hidden = false
  show()
}

document.querySelectorAll('[data-span-widget]').forEach(setUp)
