// Material's search passes the query to lunr, which reads ^ ~ : * + - as operators: a reader's
// "X^T X" or "e^{-x}" is an invalid lunr query, and the search shows nothing. Before a query
// reaches the search worker, these characters inside it become spaces (a "-" only after a
// letter, so a leading "-word" still excludes a word); the search box keeps what was typed.
(() => {
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (message, ...rest) {
    if (message && typeof message.data === "string") {
      const query = message.data.replace(/[\^~:*+{}()[\]|\\=<>]/g, " ").replace(/(\S)-/g, "$1 ");
      message = { ...message, data: query };
    }
    return post.call(this, message, ...rest);
  };
})();
