"""The HTML face: thin views that parse, authorise, call one service and render."""
